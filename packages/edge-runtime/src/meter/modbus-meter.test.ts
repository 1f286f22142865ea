import { createServer } from 'node:net';
import { silentLogger } from '@charge-it/core/kernel';
import ModbusSerial from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { createMeterDriver } from './create-meter-driver.js';
import { encodeRegister } from './decode-register.js';
import { isMeterError, MeterErrorCode } from './meter-error.js';
import type { MeterDriver } from './meter-driver.js';
import type { ModbusDataType, ModbusWordOrder } from './modbus-register-map.js';
import { planBlocks, resolveRegisterMap } from './modbus-meter.js';

// modbus-serial is CommonJS; its ServerTCP hangs off module.exports.
const { ServerTCP } = ModbusSerial as unknown as typeof import('modbus-serial');
type Server = InstanceType<typeof ServerTCP>;

/** modbus-serial treats port 0 as 502, so ask the OS for a free loopback port first. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A register bank served over Modbus TCP: separate input (04) and holding (03) tables. */
class FakeMeterServer {
  readonly input = new Map<number, number>();
  readonly holding = new Map<number, number>();
  requests = 0;
  server!: Server;
  port = 0;

  set(table: 'input' | 'holding', address: number, value: number, type: ModbusDataType = 'float32', order: ModbusWordOrder = 'big'): void {
    encodeRegister(value, type, order).forEach((w, i) => this[table].set(address + i, w));
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = new ServerTCP(
      {
        getInputRegister: (addr: number) => {
          this.requests++;
          // Like a real meter: addresses it does not have answer with exception 02.
          if (addr >= 0x1000) throw { modbusErrorCode: 0x02, msg: 'Illegal data address' };
          return this.input.get(addr) ?? 0;
        },
        getHoldingRegister: (addr: number) => this.holding.get(addr) ?? 0,
      },
      { host: '127.0.0.1', port: this.port, unitID: 1 },
    );
    await new Promise<void>((resolve, reject) => {
      this.server.on('initialized', () => resolve());
      this.server.on('serverError', reject);
    });
  }

  async stop(): Promise<void> {
    for (const sock of this.server.socks.keys()) sock.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('modbus meter over TCP (modbus-serial ServerTCP on loopback)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function serve(): Promise<FakeMeterServer> {
    const s = new FakeMeterServer();
    await s.start();
    cleanups.push(() => s.stop());
    return s;
  }
  function meter(config: Record<string, unknown>): MeterDriver {
    const m = createMeterDriver({ kind: 'modbus-tcp', host: '127.0.0.1', timeoutMs: 1000, ...config } as never, { log: silentLogger });
    cleanups.push(() => m.close());
    return m;
  }

  it('reads an SDM630 (three phase) with the preset', async () => {
    const s = await serve();
    s.set('input', 0x0048, 1234.5); // kWh
    s.set('input', 0x0034, 7200); // W
    s.set('input', 0x0000, 230.1);
    s.set('input', 0x0002, 231.2);
    s.set('input', 0x0004, 229.3);
    s.set('input', 0x0006, 10.5);
    s.set('input', 0x0008, 10.25);
    s.set('input', 0x000a, 10.75);
    s.set('input', 0x0046, 50.0);
    const m = meter({ port: s.port, preset: 'sdm630' });
    expect(m.kind).toBe('modbus-tcp');
    await m.open();
    const r = await m.read();
    expect(r.energyWh).toBe(1_234_500);
    expect(r.powerW).toBe(7200);
    expect(r.voltageV!.map((v) => Math.round(v * 10) / 10)).toEqual([230.1, 231.2, 229.3]);
    expect(r.currentA).toEqual([10.5, 10.25, 10.75]);
    expect(r.frequencyHz).toBe(50);
  });

  it('reads an SDM120 (single phase) with the preset', async () => {
    const s = await serve();
    s.set('input', 0x0048, 17.25);
    s.set('input', 0x000c, 3680);
    s.set('input', 0x0000, 230);
    s.set('input', 0x0006, 16);
    s.set('input', 0x0046, 49.5);
    const m = meter({ port: s.port, preset: 'sdm120', unitId: 1 });
    await m.open();
    const r = await m.read();
    expect(r).toEqual({ energyWh: 17_250, powerW: 3680, voltageV: [230], currentA: [16], frequencyHz: 49.5 });
  });

  it('reads a custom map: holding registers, integer types, word-swapped, scale and units', async () => {
    const s = await serve();
    s.set('holding', 100, 987654, 'uint32', 'little'); // Wh, word-swapped
    s.set('holding', 200, -1500, 'int32'); // in 0.1 W... scaled below
    s.set('input', 10, 4012, 'uint16'); // 40.12 °C in hundredths
    s.set('input', 11, 80, 'uint16'); // SoC %
    s.set('input', 300, 7.4, 'float32', 'little'); // kW, word-swapped
    const m = meter({
      port: s.port,
      registers: {
        energy: { address: 100, function: 'holding', type: 'uint32', wordOrder: 'little', unit: 'Wh' },
        power: { address: 300, type: 'float32', wordOrder: 'little', unit: 'kW' },
        temperature: { address: 10, type: 'uint16', scale: 0.01, unit: 'Celsius' },
        soc: { address: 11, type: 'uint16', unit: 'Percent' },
        current: [{ address: 200, function: 'holding', type: 'int32', scale: -0.001, unit: 'A' }],
      },
    });
    const r = await m.read(); // read() works without open() too
    expect(r.energyWh).toBe(987654);
    expect(r.powerW).toBeCloseTo(7400, 1);
    expect(r.temperatureC).toBeCloseTo(40.12, 5);
    expect(r.socPercent).toBe(80);
    expect(r.currentA![0]).toBeCloseTo(1.5, 6);
  });

  it('lets registers override a preset field by field', async () => {
    const s = await serve();
    s.set('input', 0x0156, 99); // "total active energy" instead of import
    s.set('input', 0x000c, 1000);
    const m = meter({ port: s.port, preset: 'sdm120', registers: { energy: { address: 0x0156, unit: 'kWh' } } });
    const r = await m.read();
    expect(r.energyWh).toBe(99_000);
    expect(r.powerW).toBe(1000);
  });

  it('reconnects after the server went away and came back', async () => {
    const s = await serve();
    s.set('input', 0x0048, 1);
    const m = meter({ port: s.port, preset: 'sdm120', timeoutMs: 500 });
    expect((await m.read()).energyWh).toBe(1000);
    await s.stop();
    cleanups.pop();
    await expect(m.read()).rejects.toSatisfy((err: unknown) => isMeterError(err));
    const again = new FakeMeterServer();
    again.port = s.port;
    again.set('input', 0x0048, 2);
    // Same port as before: start a server there directly.
    again.server = new ServerTCP(
      { getInputRegister: (addr: number) => again.input.get(addr) ?? 0 },
      { host: '127.0.0.1', port: s.port, unitID: 1 },
    );
    await new Promise<void>((resolve, reject) => {
      again.server.on('initialized', () => resolve());
      again.server.on('serverError', reject);
    });
    cleanups.push(() => again.stop());
    expect((await m.read()).energyWh).toBe(2000);
  });

  it('fails with a clear error when nothing listens', async () => {
    const port = await freePort();
    const m = meter({ port, preset: 'sdm630', timeoutMs: 500 });
    await m.open(); // logs, does not throw: the runtime must start without its meter
    const err = await m.read().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isMeterError(err, MeterErrorCode.UNREACHABLE)).toBe(true);
    expect((err as Error).message).toContain(`modbus-tcp 127.0.0.1:${port} unit 1: cannot connect`);
    expect((err as Error).message).toContain('check host, port');
  });

  it('turns a Modbus exception into a read error that names the meter and what to check', async () => {
    const s = await serve();
    const m = meter({ port: s.port, registers: { energy: { address: 0x2000 } } });
    const err = await m.read().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isMeterError(err, MeterErrorCode.READ_FAILED)).toBe(true);
    expect((err as Error).message).toMatch(/modbus-tcp 127\.0\.0\.1:\d+ unit 1: read failed \(Modbus exception 2: Illegal data address/);
    expect((err as Error).message).toContain('check wiring, unitId and register map');
  });

  it('explains a serial device that does not exist (modbus-rtu)', async () => {
    const m = createMeterDriver({ kind: 'modbus-rtu', path: '/dev/ttyCHARGEIT404', preset: 'sdm120', timeoutMs: 500 }, { log: silentLogger });
    cleanups.push(() => m.close());
    expect(m.kind).toBe('modbus-rtu');
    const err = await m.read().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isMeterError(err, MeterErrorCode.UNREACHABLE)).toBe(true);
    expect((err as Error).message).toContain('modbus-rtu /dev/ttyCHARGEIT404 unit 1: cannot connect');
    expect((err as Error).message).toContain('"dialout" group');
  });

  it('groups contiguous registers into few requests', () => {
    const blocks = planBlocks(resolveRegisterMap({ kind: 'modbus-tcp', preset: 'sdm630' }));
    expect(blocks.map((b) => [b.fn, b.address, b.length])).toEqual([
      ['input', 0x0000, 12],
      ['input', 0x0034, 2],
      ['input', 0x0046, 4],
    ]);
  });

  it('explains bad configuration', () => {
    const bad = (config: Record<string, unknown>) => () =>
      createMeterDriver({ kind: 'modbus-tcp', host: '127.0.0.1', port: 1502, ...config } as never, { log: silentLogger });
    expect(bad({})).toThrow(/no energy register; set "preset"/);
    expect(bad({ preset: 'sdm999' })).toThrow(/unknown preset "sdm999"/);
    expect(bad({ port: 0, preset: 'sdm120' })).toThrow(/port/);
    expect(bad({ registers: { energy: { address: 1, unit: 'V' } } })).toThrow(/unit "V" does not fit; use one of Wh, kWh/);
    expect(bad({ registers: { energy: { address: -1 } } })).toThrow(/address must be an integer/);
    expect(bad({ registers: { energy: { address: 1, type: 'float64' } } })).toThrow(/type must be/);
    expect(bad({ preset: 'sdm120', unitId: 300 })).toThrow(/unitId must be 0..255/);
    expect(() => bad({ preset: 'sdm120', unitId: 300 })()).toThrow(expect.objectContaining({ code: 'CSMS_ERR_CONFIG_INVALID' }));
    expect(() =>
      createMeterDriver({ kind: 'modbus-rtu', path: '', preset: 'sdm120' }, { log: silentLogger }),
    ).toThrow(/needs "path"/);
  });
});
