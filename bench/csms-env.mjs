// The settings a bench server passes to createCsms: the CHARGE_IT_* variables of the bench's
// environment (e.g. CHARGE_IT_LISTEN_BACKLOG, CHARGE_IT_PERSISTENCE_BATCH_DELAY_MS), without the
// bench's own CHARGE_IT_BENCH_* switches. Shared by the servers of core-throughput and reconnect-storm.

/** The CHARGE_IT_* settings of this process's environment, for `createCsms({ env })`. */
export function csmsEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('CHARGE_IT_') && !name.startsWith('CHARGE_IT_BENCH_')));
}
