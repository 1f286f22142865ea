import { CsmsError, CsmsErrorCode } from '@charge-it/core/kernel';
import type { ModbusRtuMeterConfig, ModbusTcpMeterConfig } from '../meter/meter-driver.js';
import type { ModbusRegister } from '../meter/modbus-register-map.js';

/**
 * How a connector learns that an EV is connected (edge.json `connectors[].cable`).
 *
 * - `always`: no sensor; a tap or RemoteStart starts at once (a plain socket outlet). The default.
 * - `manual`: only the JavaScript API (`plugIn()` / `unplug()`): tests, the simulator, custom hosts.
 * - `gpio`: a digital input (a cable switch, a proximity pin, the EVSE controller's "vehicle
 *   connected" output).
 * - `modbus`: a register of a Modbus device (e.g. an EVSE controller's vehicle state).
 * - `power`: the connector's meter; the EV counts as connected while it draws at least
 *   `thresholdW` (needs an outlet that is live before the session starts).
 * - `command`: lines `plug [n]` / `unplug [n]` on stdin or a local unix socket (bench set-ups).
 */
export type CableConfig = AlwaysCable | ManualCable | GpioCable | ModbusCable | PowerCable | CommandCable;

export interface AlwaysCable {
  kind: 'always';
}

export interface ManualCable {
  kind: 'manual';
}

export interface GpioCable {
  kind: 'gpio';
  /** GPIO line number on the chip (BCM number on a Raspberry Pi, e.g. 17 for pin 11). */
  line: number;
  /** Which level means "EV connected". Default 'high'. */
  activeLevel?: 'high' | 'low';
  /** The level must hold this long before it counts (contact bounce). Default 50 ms. */
  debounceMs?: number;
  /** How often the line is read. Default 20 ms. */
  pollMs?: number;
  /** sysfs: label of the GPIO chip (`/sys/class/gpio/gpiochipN/label`). Default: the first `pinctrl-*` chip, else the lowest base. */
  chip?: string;
  /** sysfs root. Default `/sys/class/gpio`. */
  sysfsRoot?: string;
}

export interface ModbusCable {
  kind: 'modbus';
  /** Where the register is; default: the connector's own meter link (it must be a Modbus meter). */
  connection?: Omit<ModbusTcpMeterConfig, 'preset' | 'registers'> | Omit<ModbusRtuMeterConfig, 'preset' | 'registers'>;
  /** The register (address, function, type, wordOrder, scale; no unit). */
  register: Omit<ModbusRegister, 'unit'>;
  /** Connected when the value is one of `equals`, and/or within [min, max]. At least one is needed. */
  connectedWhen: { equals?: number | number[]; min?: number; max?: number };
  /** Default 1000 ms. */
  pollMs?: number;
  /** The state must hold this long before it counts. Default 0 (one read). */
  debounceMs?: number;
}

export interface PowerCable {
  kind: 'power';
  /** The EV counts as connected while it draws at least this (W). */
  thresholdW: number;
  /** Default 1000 ms. */
  pollMs?: number;
  /** The state must hold this long before it counts (a car that pauses briefly). Default 3000 ms. */
  debounceMs?: number;
}

export interface CommandCable {
  kind: 'command';
  /** Read `plug [n]` / `unplug [n]` lines from stdin. Default true when no socket is given. */
  stdin?: boolean;
  /** Unix socket path to listen on (created; a stale file is replaced). */
  socket?: string;
}

export type CableKind = CableConfig['kind'];

const KINDS: readonly CableKind[] = ['always', 'manual', 'gpio', 'modbus', 'power', 'command'];

function bad(where: string, message: string): never {
  throw new CsmsError(CsmsErrorCode.CONFIG_INVALID, `${where}: ${message}`);
}

const nonNegative = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Validates `connectors[i].cable` (a kind name or an object) and fills nothing in: defaults are
 * applied where the value is used. Throws CONFIG_INVALID naming the field and the fix.
 */
export function parseCableConfig(value: unknown, where: string): CableConfig {
  if (value === undefined) return { kind: 'always' };
  const raw = typeof value === 'string' ? { kind: value } : value;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(where, `must be one of ${KINDS.map((k) => `"${k}"`).join(', ')} or an object with a "kind"`);
  const c = raw as Record<string, unknown>;
  const kind = c.kind as CableKind;
  for (const field of ['debounceMs', 'pollMs'] as const) {
    if (c[field] !== undefined && !nonNegative(c[field])) bad(`${where}.${field}`, 'must be a number of milliseconds >= 0');
  }
  if (c.pollMs !== undefined && (c.pollMs as number) < 5) bad(`${where}.pollMs`, 'must be at least 5 ms');
  switch (kind) {
    case 'always':
    case 'manual':
      return { kind };
    case 'gpio': {
      if (!(Number.isInteger(c.line) && (c.line as number) >= 0 && (c.line as number) < 1024)) bad(`${where}.line`, 'must be the GPIO line number (e.g. 17 for BCM GPIO17)');
      if (c.activeLevel !== undefined && c.activeLevel !== 'high' && c.activeLevel !== 'low') bad(`${where}.activeLevel`, 'must be "high" or "low" (the level that means "EV connected")');
      if (c.chip !== undefined && (typeof c.chip !== 'string' || c.chip === '')) bad(`${where}.chip`, 'must be the label of a GPIO chip (see /sys/class/gpio/gpiochip*/label)');
      if (c.sysfsRoot !== undefined && (typeof c.sysfsRoot !== 'string' || c.sysfsRoot === '')) bad(`${where}.sysfsRoot`, 'must be a directory path');
      return c as unknown as GpioCable;
    }
    case 'modbus': {
      const reg = c.register as Record<string, unknown> | undefined;
      if (typeof reg !== 'object' || reg === null || !Number.isInteger(reg.address)) bad(`${where}.register`, 'must be { "address": n, "function"?: "input"|"holding", "type"?: "uint16"|... }');
      const when = c.connectedWhen as Record<string, unknown> | undefined;
      if (typeof when !== 'object' || when === null || (when.equals === undefined && when.min === undefined && when.max === undefined)) {
        bad(`${where}.connectedWhen`, 'must give "equals" (a number or a list), "min" and/or "max", e.g. { "equals": [2, 3] } for EV states B and C');
      }
      const eq = when.equals;
      if (eq !== undefined && !(typeof eq === 'number' || (Array.isArray(eq) && eq.length > 0 && eq.every((n) => typeof n === 'number')))) bad(`${where}.connectedWhen.equals`, 'must be a number or a list of numbers');
      for (const k of ['min', 'max'] as const) if (when[k] !== undefined && typeof when[k] !== 'number') bad(`${where}.connectedWhen.${k}`, 'must be a number');
      const conn = c.connection as Record<string, unknown> | undefined;
      if (conn !== undefined && (typeof conn !== 'object' || conn === null || (conn.kind !== 'modbus-tcp' && conn.kind !== 'modbus-rtu'))) {
        bad(`${where}.connection`, 'must be a Modbus link: { "kind": "modbus-tcp", "host", "port", "unitId"? } or { "kind": "modbus-rtu", "path", ... }');
      }
      return c as unknown as ModbusCable;
    }
    case 'power':
      if (!(typeof c.thresholdW === 'number' && c.thresholdW > 0)) bad(`${where}.thresholdW`, 'must be a power in W > 0 above which the EV counts as connected (e.g. 100)');
      return c as unknown as PowerCable;
    case 'command':
      if (c.stdin !== undefined && typeof c.stdin !== 'boolean') bad(`${where}.stdin`, 'must be true or false');
      if (c.socket !== undefined && (typeof c.socket !== 'string' || c.socket === '')) bad(`${where}.socket`, 'must be a path for a unix socket, e.g. /run/charge-it-edge/cable.sock');
      return c as unknown as CommandCable;
    default:
      return bad(`${where}.kind`, `${JSON.stringify(c.kind)} is unknown; use one of ${KINDS.map((k) => `"${k}"`).join(', ')}`);
  }
}

/** Whether a connector takes cable commands from stdin. */
export function readsStdin(cable: CableConfig): boolean {
  return cable.kind === 'command' && (cable.stdin ?? cable.socket === undefined);
}
