import { CsmsError, CsmsErrorCode } from '@charge-it/core/kernel';
import type { BootNotificationRequest } from '@charge-it/core/ocpp16';
import { parseCableConfig, type CableConfig, type CableKind } from '../cable/cable-config.js';
import type { MeterConfig } from '../meter/meter-driver.js';

export interface ConnectorConfig {
  /** Meter of this connector; default: a simulated meter whose register lives in dataDir. */
  meter?: MeterConfig;
  /** Rating of the outlet (W); caps the simulated power and charging profiles. Default 11000. */
  maxPowerW?: number;
  /**
   * How the connector learns that an EV is connected (see CableConfig); a kind name or an object.
   * Default 'always' (a plain outlet: a tap or RemoteStart starts at once).
   */
  cable?: CableConfig | CableKind;
}

/** What the charge point says about itself in BootNotification. */
export type BootInfo = BootNotificationRequest;

export interface EdgeConfig {
  /** Charge point identity (last path segment of the OCPP URL). */
  identity: string;
  /** Central system endpoint, ws:// or wss://, without the identity. */
  csmsUrl: string;
  /** Basic auth password (security profiles 1 and 2). */
  password?: string;
  /** PEM file of the CA that signed the central system's certificate (wss). */
  caFile?: string;
  /** Directory for state files (configuration, outbox, auth cache, ...). */
  dataDir: string;
  connectors: ConnectorConfig[];
  boot: BootInfo;
  /** Initial OCPP configuration key values (the CS's ChangeConfiguration wins later). */
  ocppConfig?: Record<string, string | number | boolean>;
  /** Per OCPP call; default 30 s. */
  callTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap (ms), with ±25 % jitter. Defaults 1 s and 60 s. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Wait before the next BootNotification when the CS answered interval 0. Default 60 s. */
  bootRetryDefaultS?: number;
  /** Nominal phase voltage used to convert A limits into W. Default 230. */
  nominalVoltageV?: number;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /**
   * SecurityEventNotification (security whitepaper): startup, reset, firmware updated, key refused,
   * untrusted central-system certificate, key rotated. Default true; false keeps them in the log only.
   */
  securityEvents?: boolean;
}

const ENV = {
  identity: 'CHARGE_IT_EDGE_IDENTITY',
  csmsUrl: 'CHARGE_IT_EDGE_CSMS_URL',
  password: 'CHARGE_IT_EDGE_PASSWORD',
  caFile: 'CHARGE_IT_EDGE_CA_FILE',
  dataDir: 'CHARGE_IT_EDGE_DATA_DIR',
  connectors: 'CHARGE_IT_EDGE_CONNECTORS',
  vendor: 'CHARGE_IT_EDGE_VENDOR',
  model: 'CHARGE_IT_EDGE_MODEL',
  serial: 'CHARGE_IT_EDGE_SERIAL',
  logLevel: 'CHARGE_IT_EDGE_LOG_LEVEL',
} as const;

/** The env vars that override config file fields (documented in docs/runtime.md). */
export const EDGE_ENV_VARS = ENV;

function bad(message: string): never {
  throw new CsmsError(CsmsErrorCode.CONFIG_INVALID, message);
}

/**
 * Validates a config object (from JSON) merged with CHARGE_IT_EDGE_* env vars (env wins) and
 * fills the defaults. Throws CsmsError CONFIG_INVALID with a message naming the field.
 */
export function loadEdgeConfig(input: Partial<EdgeConfig> | Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const raw = { ...(input as Partial<EdgeConfig>) };
  const identity = env[ENV.identity] ?? raw.identity;
  const csmsUrl = env[ENV.csmsUrl] ?? raw.csmsUrl;
  const password = env[ENV.password] ?? raw.password;
  const caFile = env[ENV.caFile] ?? raw.caFile;
  const dataDir = env[ENV.dataDir] ?? raw.dataDir ?? './data';
  if (typeof identity !== 'string' || !/^[A-Za-z0-9._:-]{1,48}$/.test(identity)) {
    bad(`identity ${JSON.stringify(identity)} is invalid: set "identity" (or ${ENV.identity}) to 1–48 letters, digits or . _ : -`);
  }
  if (typeof csmsUrl !== 'string' || !/^wss?:\/\/[^\s]+$/.test(csmsUrl)) {
    bad(`csmsUrl ${JSON.stringify(csmsUrl)} is invalid: set "csmsUrl" (or ${ENV.csmsUrl}) to a ws:// or wss:// URL without the identity`);
  }
  if (password !== undefined && (typeof password !== 'string' || password.length === 0 || password.length > 40)) {
    bad(`password must be a string of 1–40 characters (OCPP AuthorizationKey limits)`);
  }
  if (caFile !== undefined && typeof caFile !== 'string') bad('caFile must be a path to a PEM file');
  if (typeof dataDir !== 'string' || !dataDir) bad(`dataDir must be a directory path (or ${ENV.dataDir})`);

  let connectors = raw.connectors;
  const envCount = env[ENV.connectors];
  if (envCount !== undefined) {
    const n = Number.parseInt(envCount, 10);
    if (!(n >= 1 && n <= 16)) bad(`${ENV.connectors}=${envCount} is invalid: use 1–16`);
    connectors = Array.from({ length: n }, (_, i) => connectors?.[i] ?? {});
  }
  if (typeof connectors === 'number') connectors = Array.from({ length: connectors }, () => ({}));
  connectors ??= [{}];
  if (!Array.isArray(connectors) || connectors.length < 1 || connectors.length > 16) {
    bad('connectors must be a list of 1–16 connector configs (or a count)');
  }
  connectors.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) bad(`connectors[${i}] must be an object`);
    if (c.maxPowerW !== undefined && !(typeof c.maxPowerW === 'number' && c.maxPowerW > 0)) bad(`connectors[${i}].maxPowerW must be a positive number of watts`);
  });
  connectors = connectors.map((c, i) => {
    const cable = parseCableConfig(c.cable, `connectors[${i}].cable`);
    if (cable.kind === 'modbus' && !cable.connection && c.meter?.kind !== 'modbus-tcp' && c.meter?.kind !== 'modbus-rtu') {
      bad(`connectors[${i}].cable: kind "modbus" without "connection" reads the connector's Modbus meter, but its meter is "${c.meter?.kind ?? 'simulated'}"; add "connection": { "kind": "modbus-tcp", "host": ..., "port": 502 }`);
    }
    return { ...c, cable };
  });

  const boot: BootInfo = {
    chargePointVendor: env[ENV.vendor] ?? raw.boot?.chargePointVendor ?? 'Charge-IT',
    chargePointModel: env[ENV.model] ?? raw.boot?.chargePointModel ?? 'Edge',
    ...(raw.boot ?? {}),
  };
  if (env[ENV.vendor]) boot.chargePointVendor = env[ENV.vendor] as string;
  if (env[ENV.model]) boot.chargePointModel = env[ENV.model] as string;
  if (env[ENV.serial]) boot.chargePointSerialNumber = env[ENV.serial];
  if (boot.chargePointVendor.length > 20) bad('boot.chargePointVendor is longer than 20 characters (OCPP CiString20)');
  if (boot.chargePointModel.length > 20) bad('boot.chargePointModel is longer than 20 characters (OCPP CiString20)');

  const logLevel = (env[ENV.logLevel] ?? raw.logLevel ?? 'info') as EdgeConfig['logLevel'];
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel as string)) bad(`logLevel "${logLevel}" is invalid`);

  const out: EdgeConfig = {
    identity,
    csmsUrl: csmsUrl.replace(/\/+$/, ''),
    dataDir,
    connectors,
    boot,
    ocppConfig: raw.ocppConfig ?? {},
    callTimeoutMs: raw.callTimeoutMs ?? 30_000,
    reconnect: { initialDelayMs: raw.reconnect?.initialDelayMs ?? 1_000, maxDelayMs: raw.reconnect?.maxDelayMs ?? 60_000 },
    bootRetryDefaultS: raw.bootRetryDefaultS ?? 60,
    nominalVoltageV: raw.nominalVoltageV ?? 230,
    logLevel,
  };
  if (password !== undefined) out.password = password;
  if (caFile !== undefined) out.caFile = caFile;
  if (raw.securityEvents !== undefined) {
    if (typeof raw.securityEvents !== 'boolean') bad('securityEvents must be true or false');
    out.securityEvents = raw.securityEvents;
  }
  return out;
}
