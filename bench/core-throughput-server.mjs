// The server side of bench/core-throughput.mjs, run in its own process so that its RSS is the
// server's alone (the load generator's 10,000 client sockets would otherwise be counted with it).
//
//   node bench/core-throughput-server.mjs bare
//   node bench/core-throughput-server.mjs charge-it <databaseUrl> [logLevel]
//
// Started by core-throughput.mjs with an IPC channel: it sends {type:'ready', port} once it
// listens, answers {type:'rss'} with {type:'rss', rss}, {type:'stored'} with the sampled values
// stored per measurand, and on {type:'stop'} closes gracefully and exits. Listens on 127.0.0.1 port 0 only.
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import ocppRpc from 'ocpp-rpc';
import { csmsEnv } from './csms-env.mjs';

const { RPCServer } = ocppRpc;
const [kind, databaseUrl, logLevel = 'warn'] = process.argv.slice(2);

/** The idTag the load generator starts its transactions with. */
const BENCH_ID_TAG = 'BENCH-1';

if (typeof process.send !== 'function') {
  console.error('core-throughput-server.mjs is started by bench/core-throughput.mjs (needs an IPC channel)');
  process.exit(2);
}

async function startBare() {
  // The reference: ocpp-rpc alone in strict mode (every call and answer validated against the
  // OCPP 1.6 schemas, as the "bare strict" server), no database, no logging. Every call
  // gets the smallest answer its schema accepts; StartTransaction a fresh transaction id.
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, pingIntervalMs: 60_000 });
  let nextTransactionId = 1;
  const accepted = { status: 'Accepted' };
  const answers = {
    BootNotification: () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }),
    Heartbeat: () => ({ currentTime: new Date().toISOString() }),
    Authorize: () => ({ idTagInfo: accepted }),
    StartTransaction: () => ({ transactionId: nextTransactionId++, idTagInfo: accepted }),
  };
  server.on('client', (client) => {
    client.handle(({ method }) => answers[method]?.() ?? {});
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
  // CHARGE_IT_BENCH_CORE: another build of the core (a path to its dist/index.js), to compare builds.
  const core = process.env.CHARGE_IT_BENCH_CORE ? pathToFileURL(process.env.CHARGE_IT_BENCH_CORE).href : '@charge-it/core';
  const { createCsms, IdTagSchema, definePlugin } = await import(core);
  // CHARGE_IT_BENCH_STORE_NOTHING=1: a plugin replaces the core's MeterValues handler with one that
  // answers {} and stores nothing. What is left is the platform's own cost per message (session,
  // dispatch, strict validation, metrics): the floor under any persistence.
  const plugins =
    process.env.CHARGE_IT_BENCH_STORE_NOTHING === '1'
      ? [definePlugin({ name: 'bench-store-nothing', setup: (ctx) => ctx.handle('MeterValues', () => ({}), { replaceDefault: true }) })]
      : [];
  const csms = await createCsms({
    plugins,
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    autoRegister: true,
    logLevel,
    // The bench's CHARGE_IT_* settings, and a metrics port of its own (no API key), read for the
    // group-commit batch figures.
    env: { ...csmsEnv(), CHARGE_IT_METRICS_PORT: '0' },
  });
  const em = csms.orm.em.fork();
  if (!(await em.findOne(IdTagSchema, { idTag: BENCH_ID_TAG }))) {
    em.create(IdTagSchema, { idTag: BENCH_ID_TAG, status: 'Accepted', parentIdTag: null, expiryDate: null });
    await em.flush();
  }
  const address = await csms.listen();
  return {
    port: address.port,
    close: () => csms.close(),
    /**
     * Sampled values stored, per measurand (after the sample inbox has moved into meter_sample),
     * or null when CHARGE_IT_BENCH_STORE_NOTHING stores nothing on purpose.
     */
    stored: async () => {
      if (plugins.length > 0) return null;
      await csms.services.get('sampleInbox').settle();
      const rows = await csms.orm.em.fork().getConnection().execute('select measurand, count(*) as n from meter_sample group by measurand');
      return Object.fromEntries(rows.map((row) => [row.measurand ?? '(none)', Number(row.n)]));
    },
    /** Group-commit batches so far: count, works in them, seconds spent running and committing them. */
    batches: async () => {
      const text = await (await fetch(address.metricsUrl)).text();
      const sum = (name) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((total, m) => total + Number(m[1]), 0);
      return { count: sum('chargeit_db_batch_size_count'), works: sum('chargeit_db_batch_size_sum'), seconds: sum('chargeit_db_batch_duration_seconds_sum') };
    },
  };
}

const server = kind === 'bare' ? await startBare() : kind === 'charge-it' ? await startChargeIt() : null;
if (!server) {
  console.error(`unknown server kind "${kind}" (bare | charge-it)`);
  process.exit(2);
}

process.on('message', async (message) => {
  if (message?.type === 'rss') {
    // Started with --expose-gc: a full collection first, so the figure is memory held, not garbage.
    if (message.gc && typeof globalThis.gc === 'function') globalThis.gc();
    process.send({ type: 'rss', rss: process.memoryUsage.rss(), memory: process.memoryUsage() });
  } else if (message?.type === 'stored') {
    process.send({ type: 'stored', stored: (await server.stored?.()) ?? null });
  } else if (message?.type === 'batches') {
    process.send({ type: 'batches', batches: (await server.batches?.()) ?? null });
  } else if (message?.type === 'stop') {
    await server.close();
    process.send({ type: 'stopped' });
    process.disconnect();
  }
});
// The parent going away (Ctrl-C, crash) must not leave a server running.
process.on('disconnect', () => setTimeout(() => process.exit(0), 2_000).unref());

process.send({ type: 'ready', port: server.port, pid: process.pid });
await once(process, 'disconnect');
