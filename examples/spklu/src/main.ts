import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CsmsError, CsmsErrorCode, isCsmsError, type Csms } from '@charge-it/core';
import { createSpkluApp } from './app.js';
import { DEMO_ADMIN, resolveSpkluSettings, type SpkluSettings } from './spklu-config.js';
import type { RunningDemo } from './demo/start-demo.js';

/** A shutdown that hangs (a stuck database, a charger that never closes) must not keep the process alive forever. */
const SHUTDOWN_DEADLINE_MS = 30_000;

const HELP = `Usage: npm start [-- options]        (or: node dist/main.js [options] in examples/spklu)

The SPKLU central system: OCPP 1.6J server, admin dashboard, AI insights, driver page, Firebase mirror.

Options:
  --no-demo         start clean: no simulated charge points, no synthetic history, no demo login
                    (same as CHARGE_IT_SPKLU_DEMO=false)
  --demo            run the demo even where it is off by default
  --config <file>   read settings from a .env-style file (NAME=value lines); the environment wins
                    (same as CHARGE_IT_SPKLU_CONFIG=<file>)
  --help            this text

Every setting has an environment variable: see examples/spklu/.env.example.
Production: CHARGE_IT_SPKLU_MODE=production (or NODE_ENV=production) turns the demo off and refuses
demo passwords and auto-registration.
`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  let csms: Csms;
  let demo: RunningDemo | null = null;
  let settings: SpkluSettings;
  try {
    settings = resolveSpkluSettings({ env: process.env, argv });
    csms = await createSpkluApp({ env: settings.env, demo: settings.demo, siteName: settings.siteName });
    if (settings.mode === 'production') await refuseDemoLogin(csms);
    const address = await listenOrClose(csms);
    const database = describeDatabase(csms.config.databaseUrl);
    const anyInterface = csms.config.host === '0.0.0.0' || csms.config.host === '::';
    const browserBase = anyInterface ? address.url.replace(/\/\/(0\.0\.0\.0|\[::\])/, '//localhost') : address.url;
    const localOcpp = `${csms.config.tls ? 'wss' : 'ws'}://127.0.0.1:${address.port}/ocpp`;
    csms.log.info(
      { http: address.url, ocpp: `${address.ocppUrl}/<chargePointId>`, database, autoRegister: csms.config.autoRegister, mode: settings.mode, demo: settings.demo },
      `SPKLU app ready: HTTP ${address.url} (GET /health), chargers connect to ${address.ocppUrl}/<chargePointId>` +
        (anyInterface ? " (from other machines use this host's address)" : '') +
        `, database ${database}`,
    );
    if (settings.demo) {
      const { startDemo } = await import('./demo/start-demo.js');
      demo = startDemo(csms, {
        csmsUrl: localOcpp,
        dataDir: demoDataDir(csms.config.databaseUrl),
        chargePoints: settings.demoChargePoints,
        pn532: settings.demoPn532,
        historyDays: settings.demoHistoryDays,
        ...(csms.config.tls ? { caFile: csms.config.tls.caFile ?? csms.config.tls.certFile } : {}),
      });
    }
    printBanner(settings, csms, browserBase, address.ocppUrl);
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
    (demo ? demo.stop() : Promise.resolve())
      .then(() => csms.close())
      .then(
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

/** What a person at the terminal needs: where to click, and how to sign in. Plain text on stderr (stdout is the JSON log). */
function printBanner(settings: SpkluSettings, csms: Csms, base: string, ocppUrl: string): void {
  const lines = [
    '',
    `  Charge-IT SPKLU (${settings.mode} mode${settings.demo ? ', demo on' : ''})`,
    `  Dashboard     ${base}/dashboard/`,
    `  Driver page   ${base}/driver/` + (settings.demo ? `live.html?cp=DEMO-PI-01&c=1` : '?station=<chargePointId>'),
    `  Health        ${base}/health`,
    `  Chargers      ${ocppUrl}/<chargePointId>`,
  ];
  if (settings.demo) {
    lines.push(
      `  Demo login    ${DEMO_ADMIN.username} / ${DEMO_ADMIN.password}   (created only when the database has no dashboard user)`,
      `  Demo cards    DEMO-123, 04A1B2C3 (tapped on DEMO-PI-01's emulated PN532), simulator cards SIM…A/B`,
      `  Simulator     npx charge-it-edge simulate --csms ${ocppUrl.replace('0.0.0.0', '127.0.0.1')} --count 5`,
      '  Start clean   npm start -- --no-demo',
    );
  } else if (!csms.config.autoRegister) {
    lines.push('  Register charge points in the dashboard (Stations → Register) before they connect.');
  }
  lines.push('');
  process.stderr.write(lines.join('\n') + '\n');
}

/** In production the demo login must not work, even when the database comes from a demo installation. */
async function refuseDemoLogin(csms: Csms): Promise<void> {
  const user = await csms.services.get('adminUsers').verify(DEMO_ADMIN.username, DEMO_ADMIN.password);
  if (user) {
    await csms.close();
    throw new CsmsError(
      CsmsErrorCode.CONFIG_INVALID,
      `invalid SPKLU configuration:\n  - the dashboard user "${DEMO_ADMIN.username}" still has the demo password in this database: ` +
        `change it first (npx charge-it-dashboard set-password --username ${DEMO_ADMIN.username}, with the same CHARGE_IT_DATABASE_URL)`,
    );
  }
}

/** The demo charge points keep their state next to the SQLite file (or in ./data with MariaDB). */
function demoDataDir(databaseUrl: string): string {
  const sqlite = /^(?:sqlite|file):(?:\/\/)?(.+)$/i.exec(databaseUrl);
  const base = sqlite?.[1] && sqlite[1] !== ':memory:' ? dirname(resolve(sqlite[1])) : resolve('data');
  return join(base, 'demo-edge');
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
