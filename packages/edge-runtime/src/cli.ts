#!/usr/bin/env node
/**
 * `charge-it-edge`: runs one charge point from a config file (and CHARGE_IT_EDGE_* env vars), or
 * `charge-it-edge simulate` for N simulated charge points in one process.
 *
 * Exit codes: 0 stopped cleanly, 1 runtime failure, 2 bad command line or configuration.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire, Module } from 'node:module';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isCsmsError, type Logger } from '@charge-it/core/kernel';
import { pino } from 'pino';
import { isCableCommand } from './cable/cable-commands.js';
import { parseCableConfig, readsStdin } from './cable/cable-config.js';
import { loadEdgeConfig } from './config/edge-config.js';
import { isMeterError } from './meter/meter-error.js';
import type { EdgePlugin } from './plugins/edge-plugin.js';
import { readersFromConfig } from './readers/readers-from-config.js';
import type { SimulationOptions } from './simulator/run-simulation.js';
import { SummaryPrinter } from './simulator/summary-line.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
/** A stop that takes longer than this is abandoned (systemd would SIGKILL soon anyway). */
const STOP_TIMEOUT_MS = 15_000;

const HELP = `charge-it-edge: an OCPP 1.6J charge point for the Raspberry Pi (and a simulator)

Usage:
  charge-it-edge [--config <edge.json>]
      Run one charge point. Settings come from the JSON file, then CHARGE_IT_EDGE_* env vars
      (env wins). Without --config, CHARGE_IT_EDGE_CONFIG names the file; with neither, env only.

  charge-it-edge simulate --csms <ws://host:port/ocpp> --count <n> [options]
      Run n simulated charge points (simulated meter and card reader each) against a central
      system, with a live summary line on stderr.

  charge-it-edge pn532 [--bus 1] [--address 0x24]
      Check a PN532 NFC reader on I2C: prints its firmware, then every card tapped, until Ctrl-C.
      Needs @charge-it/plugin-rfid-pn532 installed next to charge-it-edge ("pn532 --help" for more).

Run options:
  -c, --config <file>        JSON config (see edge.sample.json in the package)
  -h, --help                 Show this help
  -v, --version              Show the version

  Each connector's "cable" says how an EV is detected: "always" (default: a tap starts at once),
  gpio, modbus, power, or "command": then type "plug 1", "unplug 1" or "status" on stdin (or send
  them to its unix socket); a stdin card reader ignores these lines.

Simulate options:
  --csms <url>               Central system URL without the identity (ws:// or wss://)   [required]
  --count <n>                Number of charge points, 1-10000                              [default 1]
  --prefix <text>            Identity prefix: SIM-001, SIM-002, ...                       [default SIM-]
  --sessions <mode>          random | scripted                                             [default random]
  --duration <seconds>       Stop after this long (default: until Ctrl-C)
  --session-seconds <s>      Length of a scripted session / longest random one              [default 30]
  --password <text>          Basic auth password for every charge point (security profile 1/2)
  --connectors <n>           Connectors per charge point, 1-16                              [default 1]
  --max-power-w <watts>      Rating of each simulated connector                             [default 11000]
  --data-dir <dir>           Where state files go (default: a temp dir, removed at the end)
  --spread-ms <ms>           Delay between starting charge points                          [default 20]
  --seed <n>                 Seed for random sessions                                      [default 1]
  --log-level <level>        trace|debug|info|warn|error|fatal|silent                     [default error]

Environment (run mode): CHARGE_IT_EDGE_CONFIG, CHARGE_IT_EDGE_IDENTITY, CHARGE_IT_EDGE_CSMS_URL,
  CHARGE_IT_EDGE_PASSWORD, CHARGE_IT_EDGE_CA_FILE, CHARGE_IT_EDGE_DATA_DIR, CHARGE_IT_EDGE_CONNECTORS,
  CHARGE_IT_EDGE_VENDOR, CHARGE_IT_EDGE_MODEL, CHARGE_IT_EDGE_SERIAL, CHARGE_IT_EDGE_LOG_LEVEL

Exit codes: 0 stopped cleanly, 1 runtime failure, 2 bad command line or configuration.
`;

/** A mistake of the user's: printed without a stack trace, exit code 2. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'simulate') return simulate(argv.slice(1));
  if (argv[0] === 'pn532') return pn532Diagnostic(argv.slice(1));
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (values.version) {
    process.stdout.write(`${await packageVersion()}\n`);
    return EXIT_OK;
  }
  return run(typeof values.config === 'string' ? values.config : process.env.CHARGE_IT_EDGE_CONFIG);
}

async function run(configPath: string | undefined): Promise<number> {
  const json = configPath === undefined ? {} : await readConfigFile(configPath);
  const where = configPath === undefined ? 'the environment' : configPath;
  const config = withConfigContext(where, () => loadEdgeConfig(json, process.env));
  // Cable commands (`plug 1`) and a keyboard-wedge reader may share stdin: the reader skips the commands.
  const commandsOnStdin = config.connectors.some((c) => readsStdin(parseCableConfig(c.cable, 'cable')));
  // The runtime first: a plugin package importing @charge-it/edge-runtime (defineEdgePlugin) would
  // otherwise load ocpp-rpc before loadOnlyOcpp16Schemas() can trim its schemas.
  const { createChargePoint } = await loadRuntime();
  const plugins = [
    ...withConfigContext(where, () => readersFromConfig(json.readers, commandsOnStdin ? { ignoreStdinLine: isCableCommand } : {})),
    ...(await pluginsFromConfig(json.plugins, configPath)),
  ];
  const log = createLogger(config.logLevel ?? 'info');
  const handle = await createChargePoint(config, { plugins, log });

  const stopped = new Promise<number>((resolveStop) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(EXIT_FAILURE);
      }
      stopping = true;
      log.info({ signal }, 'stopping: flushing the outbox and closing the connection');
      const timer = setTimeout(() => {
        log.error({ timeoutMs: STOP_TIMEOUT_MS }, 'stop took too long; exiting');
        resolveStop(EXIT_FAILURE);
      }, STOP_TIMEOUT_MS);
      handle.stop({ graceful: true }).then(
        () => {
          clearTimeout(timer);
          log.info('stopped');
          resolveStop(EXIT_OK);
        },
        (err: unknown) => {
          clearTimeout(timer);
          log.error({ err }, 'stop failed');
          resolveStop(EXIT_FAILURE);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await handle.start();
  log.info({ identity: config.identity, csmsUrl: config.csmsUrl }, 'charge point running');
  return stopped;
}

async function simulate(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    csms: { type: 'string' },
    count: { type: 'string' },
    prefix: { type: 'string' },
    sessions: { type: 'string' },
    duration: { type: 'string' },
    'session-seconds': { type: 'string' },
    password: { type: 'string' },
    connectors: { type: 'string' },
    'max-power-w': { type: 'string' },
    'data-dir': { type: 'string' },
    'spread-ms': { type: 'string' },
    seed: { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const csms = values.csms;
  if (typeof csms !== 'string' || !/^wss?:\/\/\S+$/.test(csms)) {
    throw new UsageError(`--csms ${csms === undefined ? 'is missing' : `"${csms}" is not a ws:// or wss:// URL`}; e.g. --csms ws://127.0.0.1:9220/ocpp`);
  }
  const sessions = values.sessions ?? 'random';
  if (sessions !== 'random' && sessions !== 'scripted') throw new UsageError(`--sessions must be "random" or "scripted", got "${sessions}"`);
  const logLevel = values['log-level'] ?? 'error';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new UsageError(`--log-level must be one of trace, debug, info, warn, error, fatal, silent; got "${logLevel}"`);
  }
  const prefix = values.prefix ?? 'SIM-';
  if (!/^[A-Za-z0-9._:-]{0,40}$/.test(prefix)) throw new UsageError('--prefix may use letters, digits and . _ : - (at most 40)');
  const durationS = values.duration === undefined ? undefined : number('--duration', values.duration, { min: 0.1 });

  const ownDataDir = values['data-dir'] === undefined;
  const dataDir = ownDataDir ? await mkdtemp(join(tmpdir(), 'charge-it-sim-')) : resolve(values['data-dir'] as string);
  const options: SimulationOptions = {
    csmsUrl: csms,
    count: number('--count', values.count ?? '1', { min: 1, max: 10_000, integer: true }),
    prefix,
    sessions,
    ...(durationS === undefined ? {} : { durationS }),
    ...(values.password === undefined ? {} : { password: values.password }),
    dataDir,
    connectorsPerCp: number('--connectors', values.connectors ?? '1', { min: 1, max: 16, integer: true }),
    sessionSeconds: number('--session-seconds', values['session-seconds'] ?? '30', { min: 1 }),
    startSpreadMs: number('--spread-ms', values['spread-ms'] ?? '20', { min: 0 }),
    seed: number('--seed', values.seed ?? '1', { integer: true }),
    maxPowerW: number('--max-power-w', values['max-power-w'] ?? '11000', { min: 1 }),
  };

  const log = createLogger(logLevel);
  const printer = new SummaryPrinter(process.stderr);
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(EXIT_FAILURE);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stderr.write(
    `simulating ${options.count} charge point(s) (identities ${options.prefix}001, ...) against ${options.csmsUrl} (${options.sessions} sessions${
      durationS === undefined ? ', Ctrl-C to stop' : `, ${durationS} s`
    })\n`,
  );
  const { createChargePoint } = await loadRuntime();
  const { runSimulation } = await import('./simulator/run-simulation.js');
  try {
    const final = await runSimulation(options, {
      createChargePoint,
      log,
      onStats: (s) => printer.print(s),
      signal: abort.signal,
    });
    printer.done();
    process.stderr.write(`done: ${final.booted}/${final.total} booted at the end, ${final.sessionsStarted} sessions started, ${final.errors} errors\n`);
    return EXIT_OK;
  } finally {
    printer.done();
    if (ownDataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => {});
  }
}

/** The PN532 module that `charge-it-edge pn532` delegates to (optional: installed with the plugin). */
const PN532_CLI_MODULE = '@charge-it/plugin-rfid-pn532/cli';

/** `charge-it-edge pn532 ...`: the diagnostic of @charge-it/plugin-rfid-pn532. */
async function pn532Diagnostic(argv: string[]): Promise<number> {
  let mod: { runPn532Diagnostic(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signal: AbortSignal }): Promise<number> };
  try {
    mod = (await import(PN532_CLI_MODULE as string)) as typeof mod;
  } catch (err) {
    throw new UsageError(
      `"charge-it-edge pn532" needs the PN532 plugin, which cannot be loaded (${(err as Error).message}); install it next to charge-it-edge: npm install @charge-it/plugin-rfid-pn532`,
    );
  }
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(EXIT_FAILURE);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return mod.runPn532Diagnostic(argv, { stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
}

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun "charge-it-edge --help" for the options.`);
  }
}

function number(name: string, text: string, rule: { min?: number; max?: number; integer?: boolean }): number {
  const value = Number(text);
  const ok =
    text.trim() !== '' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) {
    const range = [rule.min === undefined ? '' : `>= ${rule.min}`, rule.max === undefined ? '' : `<= ${rule.max}`].filter(Boolean).join(' and ');
    throw new UsageError(`${name} must be ${rule.integer ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}, got "${text}"`);
  }
  return value;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `config file ${path} does not exist; pass --config with the path of your edge.json (edge.sample.json in the package is a starting point)`
        : `cannot read config file ${path} (${code ?? (err as Error).message}); check the path and its permissions`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}; fix the syntax (comments and trailing commas are not allowed)`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError(`config file ${path} must hold a JSON object ({ "identity": ..., "csmsUrl": ..., ... })`);
  }
  return json as Record<string, unknown>;
}

/** Turns a CONFIG_INVALID from a loader into a usage error that names the file. */
function withConfigContext<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isCsmsError(err)) throw new UsageError(`invalid configuration in ${where}: ${err.message}`);
    throw err;
  }
}

/**
 * The `plugins` section: `[{ "module": "@charge-it/plugin-rfid-pn532", "export": "pn532Reader",
 * "options": { ... } }]`. The export (default: the module's default export) is a plugin factory
 * called with `options`, or a plugin object. Relative module paths are resolved from the config file.
 */
async function pluginsFromConfig(value: unknown, configPath: string | undefined): Promise<EdgePlugin[]> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new UsageError('"plugins" must be a list of { "module": ..., "options": ... }');
  const plugins: EdgePlugin[] = [];
  for (const [i, entry] of value.entries()) {
    const spec = typeof entry === 'string' ? { module: entry } : (entry as { module?: unknown; export?: unknown; options?: unknown });
    if (typeof spec?.module !== 'string' || spec.module === '') throw new UsageError(`plugins[${i}].module must name a package or a file`);
    const specifier =
      spec.module.startsWith('.') && configPath !== undefined
        ? pathToFileURL(resolve(configPath, '..', spec.module)).href
        : isAbsolute(spec.module)
          ? pathToFileURL(spec.module).href
          : spec.module;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(specifier)) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`plugins[${i}]: cannot load "${spec.module}" (${(err as Error).message}); install it next to charge-it-edge (npm install ${spec.module})`);
    }
    const exportName = typeof spec.export === 'string' ? spec.export : 'default';
    const exported = mod[exportName];
    if (exported === undefined) throw new UsageError(`plugins[${i}]: "${spec.module}" has no export "${exportName}"; set "export" to the factory's name`);
    const plugin = typeof exported === 'function' ? await (exported as (o: unknown) => unknown)(spec.options ?? {}) : exported;
    if (typeof plugin !== 'object' || plugin === null || typeof (plugin as { name?: unknown }).name !== 'string') {
      throw new UsageError(`plugins[${i}]: "${spec.module}" export "${exportName}" did not give a plugin (an object with a name)`);
    }
    plugins.push(plugin as EdgePlugin);
  }
  return plugins;
}

/**
 * ocpp-rpc compiles the JSON schemas of OCPP 1.6, 2.0.1 and 2.1 when it is first loaded (about
 * 1.7 MB of JSON, some 15 MB of RSS). A charge point speaks 1.6 only, so before the runtime loads
 * ocpp-rpc we seed Node's module cache with a validator list holding just the 1.6 schemas. If
 * ocpp-rpc's layout ever changes, this quietly does nothing and ocpp-rpc loads all of them.
 */
function loadOnlyOcpp16Schemas(): void {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve('ocpp-rpc/lib/standard-validators.js');
    if (require.cache[path]) return;
    const { createValidator } = require('ocpp-rpc/lib/validator.js') as { createValidator(protocol: string, schemas: unknown): unknown };
    const entry = new Module(path);
    entry.filename = path;
    entry.loaded = true;
    entry.exports = [createValidator('ocpp1.6', require('ocpp-rpc/lib/schemas/ocpp1_6.json'))];
    require.cache[path] = entry;
  } catch {
    // not fatal: only memory is at stake
  }
}

/** Loads the runtime (and with it ocpp-rpc) only after loadOnlyOcpp16Schemas(). */
async function loadRuntime(): Promise<typeof import('./create-charge-point.js')> {
  loadOnlyOcpp16Schemas();
  return import('./create-charge-point.js');
}

function createLogger(level: string): Logger {
  return pino({ level, base: { name: 'charge-it-edge' } }) as unknown as Logger;
}

async function packageVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function explain(err: unknown): { message: string; code: number } {
  if (err instanceof UsageError) return { message: err.message, code: EXIT_USAGE };
  if (isCsmsError(err)) return { message: `${err.message} [${err.code}]`, code: err.code === 'CSMS_ERR_CONFIG_INVALID' ? EXIT_USAGE : EXIT_FAILURE };
  if (isMeterError(err)) return { message: `${err.message} [${err.code}]`, code: EXIT_FAILURE };
  return { message: err instanceof Error ? (err.stack ?? err.message) : String(err), code: EXIT_FAILURE };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Whatever still holds the event loop (a socket in close, stdin) must not keep a stopped
    // charge point alive: systemd would see a hung stop.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    const { message, code } = explain(err);
    process.stderr.write(`charge-it-edge: ${message}\n`);
    process.exit(code);
  },
);
