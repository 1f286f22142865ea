import type { Logger } from '@charge-it/core/kernel';
import type { ModbusRegisterMap } from './modbus-register-map.js';

export type { ModbusRegisterMap } from './modbus-register-map.js';

/** One sample of a meter, in OCPP units (Wh, W, A, V, Hz, Celsius, percent). */
export interface MeterReading {
  /** Energy.Active.Import.Register in Wh: the raw, monotonic hardware register. */
  energyWh: number;
  /** Power.Active.Import */
  powerW?: number;
  /** Current.Import per phase (L1, L2, L3) */
  currentA?: number[];
  /** Voltage per phase */
  voltageV?: number[];
  frequencyHz?: number;
  temperatureC?: number;
  socPercent?: number;
}

/**
 * What the runtime needs from an energy meter. One driver per connector. The runtime calls
 * `read()` on its own schedule (MeterValueSampleInterval, clock-aligned ticks, start/stop of a
 * transaction), so drivers keep no timers of their own.
 */
export interface MeterDriver {
  /** 'simulated' | 'modbus-tcp' | 'modbus-rtu' */
  readonly kind: string;
  open(): Promise<void>;
  /** Throws on I/O failure (the runtime retries next interval). */
  read(): Promise<MeterReading>;
  close(): Promise<void>;
  /** Simulation only: whether an EV is drawing power and the current limit (null = no limit). */
  setDemand?(demand: { charging: boolean; limitW: number | null }): void;
}

export interface PowerCurvePoint {
  /** Seconds of charging since the EV started drawing power. */
  atSeconds: number;
  powerW: number;
}

export type ModbusPresetName = 'sdm630' | 'sdm120';

export interface SimulatedMeterConfig {
  kind: 'simulated';
  /** Upper bound of the simulated power (the EVSE's rating); default 7400 W. */
  maxPowerW?: number;
  /** Power over charging time, linearly interpolated; the last point holds. Default: ramp up, hold, taper. */
  curve?: PowerCurvePoint[];
  /** Register value of a brand-new meter (ignored when stateFile already holds a higher value). */
  startRegisterWh?: number;
  /** JSON file that keeps the register across restarts (written atomically). */
  stateFile?: string;
  /** 1 or 3 phases; default 3 above 7400 W, else 1. */
  phases?: 1 | 3;
  /** Simulated EV battery for SoC; default 60000 Wh, starting at 20 %. */
  batteryWh?: number;
  startSocPercent?: number;
}

export interface ModbusTcpMeterConfig {
  kind: 'modbus-tcp';
  host: string;
  port: number;
  unitId?: number;
  preset?: ModbusPresetName;
  /** Replaces the preset's entries field by field (energy, power, voltage, ...). */
  registers?: Partial<ModbusRegisterMap>;
  timeoutMs?: number;
}

export interface ModbusRtuMeterConfig {
  kind: 'modbus-rtu';
  /** Serial device, e.g. /dev/ttyUSB0 */
  path: string;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  unitId?: number;
  preset?: ModbusPresetName;
  registers?: Partial<ModbusRegisterMap>;
  timeoutMs?: number;
}

export type MeterConfig = SimulatedMeterConfig | ModbusTcpMeterConfig | ModbusRtuMeterConfig;

export interface MeterDriverDeps {
  log: Logger;
  /** Clock in ms since the epoch; tests pass a fake one. */
  now?: () => number;
}
