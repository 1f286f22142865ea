import { isAbsolute, resolve } from 'node:path';
import { isCsmsError, type Csms } from '@charge-it/core';
import { createSpkluApp } from './app.js';

/** A shutdown that hangs (a stuck database, a charger that never closes) must not keep the process alive forever. */
const SHUTDOWN_DEADLINE_MS = 30_000;

async function main(): Promise<void> {
  let csms: Csms;
  try {
    csms = await createSpkluApp();
    const address = await listenOrClose(csms);
    const database = describeDatabase(csms.config.databaseUrl);
    const anyInterface = csms.config.host === '0.0.0.0' || csms.config.host === '::';
    csms.log.info(
      { http: address.url, ocpp: `${address.ocppUrl}/<chargePointId>`, database, autoRegister: csms.config.autoRegister },
      `SPKLU app ready: HTTP ${address.url} (GET /health), chargers connect to ${address.ocppUrl}/<chargePointId>` +
        (anyInterface ? ' (from other machines use this host\'s address)' : '') +
        `, database ${database}`,
    );
  } catch (err) {
    exitWithError(err);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      csms.log.warn({ signal }, 'second signal while shutting down; exiting now');
      process.exit(1);
    }
    stopping = true;
    csms.log.info({ signal }, 'shutting down: finishing calls in flight, closing connections and the database');
    const deadline = setTimeout(() => {
      csms.log.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    csms.close().then(
      () => process.exit(0),
      (err: unknown) => {
        csms.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function listenOrClose(csms: Csms) {
  try {
    return await csms.listen();
  } catch (err) {
    await csms.close().catch(() => undefined);
    throw err;
  }
}

/** Configuration and start-up problems are the operator's to fix: print the message, not a stack trace. */
function exitWithError(err: unknown): never {
  if (isCsmsError(err)) {
    process.stderr.write(`charge-it spklu: cannot start (${err.code}): ${err.message}\n`);
  } else {
    process.stderr.write(`charge-it spklu: cannot start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
}

/** The database URL without its password; a relative SQLite path also shows where the file really is. */
function describeDatabase(url: string): string {
  const sqlite = /^(?:sqlite|file):(?:\/\/)?(.+)$/i.exec(url);
  if (sqlite?.[1] && sqlite[1] !== ':memory:' && !isAbsolute(sqlite[1])) return `${url} (${resolve(sqlite[1])})`;
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

await main();
