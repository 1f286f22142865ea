// The server side of bench/reconnect-storm.mjs, in its own process (pinned to one CPU by the parent,
// killed with SIGKILL for the restart scenario).
//
//   node bench/reconnect-storm-server.mjs bare
//   node bench/reconnect-storm-server.mjs charge-it <databaseUrl> <seedCount> <seedProfile> [logLevel]
//
// seedCount > 0 registers STORM-00000 … before listening (one multi-row INSERT per 500), with
// security profile <seedProfile> (0 or 1; profile 1: each charger its own generated-style key,
// stormKey(i), stored as the core stores generated keys: hashGeneratedAuthKey). Sends
// {type:'ready', port} over IPC once it listens; {type:'stop'} closes gracefully.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import ocppRpc from 'ocpp-rpc';
import { csmsEnv } from './csms-env.mjs';

const { RPCServer } = ocppRpc;
const [kind, databaseUrl, seedCountArg = '0', seedProfileArg = '0', logLevel = 'warn'] = process.argv.slice(2);
/** The Basic-auth key of charger i in the profile 1 scenario (40 hex characters, like generateAuthKey()). */
export const stormKey = (i) => createHash('sha1').update(`storm-${i}`).digest('hex');

if (typeof process.send !== 'function') {
  console.error('reconnect-storm-server.mjs is started by bench/reconnect-storm.mjs (needs an IPC channel)');
  process.exit(2);
}

async function startBare() {
  // The reference: ocpp-rpc in strict mode (schemas checked both ways), no database.
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, pingIntervalMs: 60_000 });
  server.on('client', (client) => {
    client.handle('BootNotification', () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }));
    client.handle('StatusNotification', () => ({}));
    client.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
  });
  const http = await server.listen(0, '127.0.0.1');
  return {
    port: http.address().port,
    close: async () => {
      await server.close({ force: true });
      http.close();
    },
  };
}

async function startChargeIt() {
  const core = process.env.CHARGE_IT_BENCH_CORE ? pathToFileURL(process.env.CHARGE_IT_BENCH_CORE).href : '@charge-it/core';
  const { createCsms, hashAuthKey, hashGeneratedAuthKey } = await import(core);
  const csms = await createCsms({ port: 0, host: '127.0.0.1', databaseUrl, autoRegister: true, logLevel, env: csmsEnv() });
  if (process.env.CHARGE_IT_BENCH_NO_HEALING) csms.services.get('healing').configure({ enabled: false });
  if (process.env.CHARGE_IT_BENCH_NO_SYNC) csms.services.get('localList').configure({ autoSync: false });
  const seedCount = Number(seedCountArg);
  if (seedCount > 0) {
    const profile = Number(seedProfileArg);
    // Older builds have only the slow KDF: one hash for all (the verified-key cache is per charger).
    const shared = profile > 0 && !hashGeneratedAuthKey ? await hashAuthKey(stormKey(0)) : null;
    const hashOf = (i) => (profile === 0 ? null : (shared ?? hashGeneratedAuthKey(stormKey(i))));
    const sqlite = databaseUrl.startsWith('sqlite:');
    const now = sqlite ? Date.now() : new Date();
    const conn = csms.orm.em.fork().getConnection();
    const existing = await conn.execute('select count(*) as n from charge_point');
    if (Number(existing[0].n) === 0) {
      for (let i = 0; i < seedCount; i += 500) {
        const ns = Array.from({ length: Math.min(500, seedCount - i) }, (_, k) => i + k);
        await conn.execute(
          `insert into charge_point (id, security_profile, auth_key_hash, created_at, updated_at) values ${ns.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
          ns.flatMap((n) => [stormId(n), profile, hashOf(n), now, now]),
          'run',
        );
      }
    }
  }
  const address = await csms.listen();
  return { port: address.port, close: () => csms.close() };
}

export function stormId(i) {
  return `STORM-${String(i).padStart(5, '0')}`;
}

const server = kind === 'bare' ? await startBare() : kind === 'charge-it' ? await startChargeIt() : null;
if (!server) {
  console.error(`unknown server kind "${kind}" (bare | charge-it)`);
  process.exit(2);
}
process.on('message', async (message) => {
  if (message?.type === 'stop') {
    await server.close();
    process.send({ type: 'stopped' });
    process.disconnect();
  }
});
process.on('disconnect', () => setTimeout(() => process.exit(0), 2_000).unref());
process.send({ type: 'ready', port: server.port, pid: process.pid });
await once(process, 'disconnect');
