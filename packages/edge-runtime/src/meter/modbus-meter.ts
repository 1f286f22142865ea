import { CsmsError, CsmsErrorCode, TIMED_OUT, withTimeout } from '@charge-it/core/kernel';
import { decodeRegister, registerCount } from './decode-register.js';
import { MeterError, MeterErrorCode } from './meter-error.js';
import type { MeterDriver, MeterDriverDeps, MeterReading, ModbusRtuMeterConfig, ModbusTcpMeterConfig } from './meter-driver.js';
import { modbusPresets } from './modbus-presets.js';
import type { ModbusRegister, ModbusRegisterMap, ModbusUnit } from './modbus-register-map.js';

// modbus-serial is CommonJS whose typings declare `export default`; under NodeNext the class is
// reachable as `.default.default` (the package sets module.exports.default = module.exports).
type ModbusClientClass = (typeof import('modbus-serial'))['default'];
type ModbusClient = InstanceType<ModbusClientClass>;
type Field = 'energy' | 'power' | 'current' | 'voltage' | 'frequency' | 'temperature' | 'soc';

/** Eastron meters answer at most 30 parameters (60 registers) per request. */
const MAX_BLOCK_REGISTERS = 60;
const DEFAULT_TIMEOUT_MS = 1000;

/** Unit each field is reported in, and the units accepted for it with their factor to that unit. */
const FIELD_UNITS: Record<Field, Partial<Record<ModbusUnit, number>>> = {
  energy: { Wh: 1, kWh: 1000 },
  power: { W: 1, kW: 1000 },
  current: { A: 1, mA: 0.001 },
  voltage: { V: 1 },
  frequency: { Hz: 1 },
  temperature: { Celsius: 1 },
  soc: { Percent: 1 },
};
const DEFAULT_UNIT: Record<Field, ModbusUnit> = {
  energy: 'Wh',
  power: 'W',
  current: 'A',
  voltage: 'V',
  frequency: 'Hz',
  temperature: 'Celsius',
  soc: 'Percent',
};

interface PlannedValue {
  field: Field;
  /** Phase index for current/voltage. */
  index: number;
  register: Required<Omit<ModbusRegister, 'unit'>>;
  factor: number;
}

interface Block {
  fn: 'input' | 'holding';
  address: number;
  length: number;
  values: PlannedValue[];
}

/**
 * An energy meter on Modbus TCP or RTU (RS-485) through `modbus-serial`. Registers are read in as
 * few requests as possible (contiguous ranges of the same function) and converted to Wh/W/A/V/Hz.
 * A failed read drops the connection; the next read reconnects, so a meter that was power-cycled
 * or a USB adapter that was re-plugged comes back without restarting the charge point.
 */
export class ModbusMeter implements MeterDriver {
  readonly kind: 'modbus-tcp' | 'modbus-rtu';
  private readonly blocks: Block[];
  private readonly timeoutMs: number;
  private readonly unitId: number;
  private readonly where: string;
  private client: ModbusClient | null = null;
  private connecting: Promise<ModbusClient> | null = null;
  /** A bus carries one transaction at a time: reads are queued. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private readonly config: ModbusTcpMeterConfig | ModbusRtuMeterConfig;
  private readonly deps: MeterDriverDeps;

  constructor(config: ModbusTcpMeterConfig | ModbusRtuMeterConfig, deps: MeterDriverDeps) {
    this.config = config;
    this.deps = deps;
    this.kind = config.kind;
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.unitId = config.unitId ?? 1;
    if (config.kind === 'modbus-tcp') {
      if (!config.host || !Number.isInteger(config.port) || config.port < 1 || config.port > 65535) {
        throw configError(`modbus-tcp meter needs "host" and a "port" in 1..65535 (Modbus TCP uses 502), got host=${JSON.stringify(config.host)} port=${JSON.stringify(config.port)}`);
      }
      this.where = `modbus-tcp ${config.host}:${config.port} unit ${this.unitId}`;
    } else {
      if (!config.path) throw configError('modbus-rtu meter needs "path", the serial device (e.g. /dev/ttyUSB0)');
      this.where = `modbus-rtu ${config.path} unit ${this.unitId}`;
    }
    if (!Number.isInteger(this.unitId) || this.unitId < 0 || this.unitId > 255) {
      throw configError(`${config.kind} meter: unitId must be 0..255 (the meter's Modbus address), got ${config.unitId}`);
    }
    if (!(this.timeoutMs > 0)) throw configError(`${config.kind} meter: timeoutMs must be > 0, got ${config.timeoutMs}`);
    this.blocks = planBlocks(resolveRegisterMap(config));
  }

  /** Connects once; a failure is logged, not thrown, so a meter that is off does not stop the runtime. */
  async open(): Promise<void> {
    this.closed = false;
    try {
      await this.connect();
    } catch (err) {
      this.deps.log.warn({ err, meter: this.where }, 'meter not reachable yet; will retry on each read');
    }
  }

  read(): Promise<MeterReading> {
    const run = this.queue.catch(() => {}).then(() => this.readOnce());
    this.queue = run;
    return run;
  }

  /**
   * Reads one register (any address; scale applied, no unit), queued with the meter reads on the
   * same link: the cable detection reads an EVSE controller's state register this way.
   */
  readRegister(register: Omit<ModbusRegister, 'unit'>): Promise<number> {
    const planned = planValue('energy', 0, register).register;
    const run = this.queue.catch(() => {}).then(() => this.readRegisterOnce(planned));
    this.queue = run;
    return run;
  }

  private async readRegisterOnce(register: Required<Omit<ModbusRegister, 'unit'>>): Promise<number> {
    if (this.closed) throw new MeterError(MeterErrorCode.READ_FAILED, `${this.where}: link is closed`);
    const client = await this.connect();
    try {
      const count = registerCount(register.type);
      const result =
        register.function === 'input' ? await client.readInputRegisters(register.address, count) : await client.readHoldingRegisters(register.address, count);
      return decodeRegister(result.data.slice(0, count), register.type, register.wordOrder) * register.scale;
    } catch (cause) {
      await this.drop();
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new MeterError(MeterErrorCode.READ_FAILED, `${this.where}: reading register ${register.address} failed (${detail}); reconnecting on the next read`, { cause });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => {});
    await this.drop();
  }

  private async readOnce(): Promise<MeterReading> {
    if (this.closed) throw new MeterError(MeterErrorCode.READ_FAILED, `${this.where}: meter is closed`);
    const client = await this.connect();
    const reading: MeterReading = { energyWh: NaN };
    try {
      for (const block of this.blocks) {
        const result =
          block.fn === 'input'
            ? await client.readInputRegisters(block.address, block.length)
            : await client.readHoldingRegisters(block.address, block.length);
        for (const v of block.values) {
          const offset = v.register.address - block.address;
          const raw = decodeRegister(result.data.slice(offset, offset + registerCount(v.register.type)), v.register.type, v.register.wordOrder);
          assign(reading, v, raw * v.register.scale * v.factor);
        }
      }
    } catch (cause) {
      await this.drop();
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new MeterError(
        MeterErrorCode.READ_FAILED,
        `${this.where}: read failed (${detail}); check wiring, unitId and register map; reconnecting on the next read`,
        { cause },
      );
    }
    if (!Number.isFinite(reading.energyWh) || reading.energyWh < 0) {
      throw new MeterError(
        MeterErrorCode.READ_FAILED,
        `${this.where}: energy register decoded to ${reading.energyWh}; check the register address, type and wordOrder`,
      );
    }
    return reading;
  }

  private connect(): Promise<ModbusClient> {
    if (this.client?.isOpen) return Promise.resolve(this.client);
    this.connecting ??= this.doConnect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<ModbusClient> {
    await this.drop();
    // Loaded lazily: the simulator and simulated meters never pay for modbus-serial/serialport.
    const ModbusRTUClass = (await import('modbus-serial')).default as unknown as ModbusClientClass;
    const client = new ModbusRTUClass();
    const config = this.config;
    const connecting =
      config.kind === 'modbus-tcp'
        ? client.connectTCP(config.host, { port: config.port })
        : client.connectRTUBuffered(config.path, {
            baudRate: config.baudRate ?? 9600,
            parity: config.parity ?? 'none',
            dataBits: 8,
            stopBits: 1,
          });
    try {
      if ((await withTimeout(connecting, this.timeoutMs)) === TIMED_OUT) throw new Error(`no connection within ${this.timeoutMs} ms`);
    } catch (cause) {
      connecting.catch(() => {});
      closeQuietly(client);
      const detail = cause instanceof Error ? cause.message : String(cause);
      const hint =
        config.kind === 'modbus-tcp'
          ? 'check host, port and that the Modbus gateway is on'
          : 'check the device path, that the user is in the "dialout" group, and baudRate/parity';
      throw new MeterError(MeterErrorCode.UNREACHABLE, `${this.where}: cannot connect (${detail}); ${hint}`, { cause });
    }
    client.setID(this.unitId);
    client.setTimeout(this.timeoutMs);
    this.client = client;
    this.deps.log.info({ meter: this.where }, 'meter connected');
    return client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) closeQuietly(client);
  }
}

function closeQuietly(client: ModbusClient): void {
  try {
    client.close(() => {});
  } catch {
    // already closed
  }
}

function assign(reading: MeterReading, v: PlannedValue, value: number): void {
  switch (v.field) {
    case 'energy':
      reading.energyWh = value;
      break;
    case 'power':
      reading.powerW = value;
      break;
    case 'current':
      (reading.currentA ??= [])[v.index] = value;
      break;
    case 'voltage':
      (reading.voltageV ??= [])[v.index] = value;
      break;
    case 'frequency':
      reading.frequencyHz = value;
      break;
    case 'temperature':
      reading.temperatureC = value;
      break;
    case 'soc':
      reading.socPercent = value;
      break;
  }
}

function configError(message: string): CsmsError {
  return new CsmsError(CsmsErrorCode.CONFIG_INVALID, message);
}

/** The preset (if any) with the configured registers laid over it, field by field. */
export function resolveRegisterMap(config: Pick<ModbusTcpMeterConfig | ModbusRtuMeterConfig, 'preset' | 'registers' | 'kind'>): ModbusRegisterMap {
  let base: Partial<ModbusRegisterMap> = {};
  if (config.preset !== undefined) {
    const preset = modbusPresets[config.preset];
    if (!preset) {
      throw configError(`${config.kind} meter: unknown preset ${JSON.stringify(config.preset)}; use one of ${Object.keys(modbusPresets).join(', ')} or give "registers"`);
    }
    base = preset;
  }
  const map = { ...base, ...(config.registers ?? {}) };
  if (!map.energy) {
    throw configError(`${config.kind} meter: no energy register; set "preset" (${Object.keys(modbusPresets).join(', ')}) or "registers.energy"`);
  }
  return map as ModbusRegisterMap;
}

/** Groups the registers into contiguous read requests per function code. */
export function planBlocks(map: ModbusRegisterMap): Block[] {
  const values: PlannedValue[] = [];
  const add = (field: Field, index: number, reg: ModbusRegister | undefined): void => {
    if (!reg) return;
    values.push(planValue(field, index, reg));
  };
  add('energy', 0, map.energy);
  add('power', 0, map.power);
  map.current?.forEach((r, i) => add('current', i, r));
  map.voltage?.forEach((r, i) => add('voltage', i, r));
  add('frequency', 0, map.frequency);
  add('temperature', 0, map.temperature);
  add('soc', 0, map.soc);

  const sorted = [...values].sort((a, b) =>
    a.register.function === b.register.function ? a.register.address - b.register.address : a.register.function < b.register.function ? -1 : 1,
  );
  const blocks: Block[] = [];
  for (const v of sorted) {
    const start = v.register.address;
    const end = start + registerCount(v.register.type);
    const last = blocks[blocks.length - 1];
    // Only truly contiguous or overlapping ranges are merged: some meters reject reads that span
    // undefined addresses.
    if (last && last.fn === v.register.function && start <= last.address + last.length && Math.max(end, last.address + last.length) - last.address <= MAX_BLOCK_REGISTERS) {
      last.length = Math.max(end, last.address + last.length) - last.address;
      last.values.push(v);
    } else {
      blocks.push({ fn: v.register.function, address: start, length: end - start, values: [v] });
    }
  }
  return blocks;
}

function planValue(field: Field, index: number, reg: ModbusRegister): PlannedValue {
  const where = `register for ${field}${field === 'current' || field === 'voltage' ? ` L${index + 1}` : ''}`;
  if (!Number.isInteger(reg.address) || reg.address < 0 || reg.address > 0xffff) {
    throw configError(`${where}: address must be an integer 0..65535 (zero-based; 30001 in a manual is 0), got ${JSON.stringify(reg.address)}`);
  }
  const fn = reg.function ?? 'input';
  if (fn !== 'input' && fn !== 'holding') throw configError(`${where}: function must be "input" or "holding", got ${JSON.stringify(reg.function)}`);
  const type = reg.type ?? 'float32';
  if (!['float32', 'uint32', 'int32', 'uint16', 'int16'].includes(type)) {
    throw configError(`${where}: type must be float32, uint32, int32, uint16 or int16, got ${JSON.stringify(reg.type)}`);
  }
  const wordOrder = reg.wordOrder ?? 'big';
  if (wordOrder !== 'big' && wordOrder !== 'little') throw configError(`${where}: wordOrder must be "big" or "little", got ${JSON.stringify(reg.wordOrder)}`);
  const scale = reg.scale ?? 1;
  if (!Number.isFinite(scale) || scale === 0) throw configError(`${where}: scale must be a non-zero number, got ${JSON.stringify(reg.scale)}`);
  const unit = reg.unit ?? DEFAULT_UNIT[field];
  const factor = FIELD_UNITS[field][unit];
  if (factor === undefined) {
    throw configError(`${where}: unit ${JSON.stringify(unit)} does not fit; use one of ${Object.keys(FIELD_UNITS[field]).join(', ')}`);
  }
  return { field, index, register: { address: reg.address, function: fn, type, wordOrder, scale }, factor };
}
