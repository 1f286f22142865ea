import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCsmsError, silentLogger } from '@charge-it/core/kernel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMeterDriver } from './create-meter-driver.js';
import type { SimulatedMeterConfig } from './meter-driver.js';

class FakeClock {
  t = Date.UTC(2025, 0, 1);
  now = (): number => this.t;
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

describe('simulated meter', () => {
  let dir: string;
  let clock: FakeClock;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charge-it-meter-'));
    clock = new FakeClock();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const meter = (config: Omit<SimulatedMeterConfig, 'kind'> = {}) =>
    createMeterDriver({ kind: 'simulated', ...config }, { log: silentLogger, now: clock.now });

  it('draws no power and keeps the register while no EV is charging', async () => {
    const m = meter({ startRegisterWh: 1000 });
    await m.open();
    clock.advance(3600);
    const r = await m.read();
    expect(r.energyWh).toBe(1000);
    expect(r.powerW).toBe(0);
    expect(m.kind).toBe('simulated');
  });

  it('integrates a constant curve into the register', async () => {
    const m = meter({ curve: [{ atSeconds: 0, powerW: 3600 }], maxPowerW: 11000 });
    await m.open();
    m.setDemand!({ charging: true, limitW: null });
    clock.advance(3600);
    const r = await m.read();
    expect(r.energyWh).toBe(3600);
    expect(r.powerW).toBe(3600);
    expect(r.voltageV).toHaveLength(3); // > 7.4 kW means three phases
    expect(r.currentA![0]).toBeCloseTo(3600 / 3 / r.voltageV![0]!, 1);
    expect(r.frequencyHz).toBeGreaterThan(49.9);
    expect(r.frequencyHz).toBeLessThan(50.1);
    expect(r.socPercent).toBeGreaterThan(20);
  });

  it('follows a linear ramp of the curve', async () => {
    const m = meter({ curve: [{ atSeconds: 0, powerW: 0 }, { atSeconds: 3600, powerW: 3600 }], maxPowerW: 7400 });
    await m.open();
    m.setDemand!({ charging: true, limitW: null });
    clock.advance(1800);
    expect((await m.read()).powerW).toBe(1800);
    clock.advance(1800);
    // area under the ramp: 0.5 * 3600 W * 1 h
    expect((await m.read()).energyWh).toBe(1800);
  });

  it('caps power at maxPowerW and at the demand limit', async () => {
    const m = meter({ curve: [{ atSeconds: 0, powerW: 20000 }], maxPowerW: 7000 });
    await m.open();
    m.setDemand!({ charging: true, limitW: null });
    clock.advance(10);
    expect((await m.read()).powerW).toBe(7000);
    m.setDemand!({ charging: true, limitW: 2000 });
    const before = (await m.read()).energyWh;
    clock.advance(1800);
    const r = await m.read();
    expect(r.powerW).toBe(2000);
    expect(r.energyWh - before).toBe(1000);
    m.setDemand!({ charging: true, limitW: 0 });
    clock.advance(600);
    const paused = await m.read();
    expect(paused.powerW).toBe(0);
    expect(paused.energyWh).toBe(r.energyWh);
  });

  it('stops counting when charging stops', async () => {
    const m = meter({ curve: [{ atSeconds: 0, powerW: 1000 }] });
    await m.open();
    m.setDemand!({ charging: true, limitW: null });
    clock.advance(3600);
    m.setDemand!({ charging: false, limitW: null });
    clock.advance(3600);
    const r = await m.read();
    expect(r.energyWh).toBe(1000);
    expect(r.powerW).toBe(0);
  });

  it('persists the register atomically and continues from it after a restart', async () => {
    const stateFile = join(dir, 'sub', 'meter-1.json');
    const first = meter({ curve: [{ atSeconds: 0, powerW: 2000 }], stateFile, startRegisterWh: 500 });
    await first.open();
    first.setDemand!({ charging: true, limitW: null });
    clock.advance(1800);
    expect((await first.read()).energyWh).toBe(1500);
    // The value returned by read() is on disk before read() resolves (a crash now loses nothing).
    expect((JSON.parse(await readFile(stateFile, 'utf8')) as { registerWh: number }).registerWh).toBeCloseTo(1500, 6);
    clock.advance(1800);
    await first.close();
    expect((JSON.parse(await readFile(stateFile, 'utf8')) as { registerWh: number }).registerWh).toBeCloseTo(2500, 6);

    // A restart with a lower startRegisterWh in the config never goes backwards.
    const second = meter({ curve: [{ atSeconds: 0, powerW: 2000 }], stateFile, startRegisterWh: 0 });
    await second.open();
    clock.advance(3600); // process was down / idle: no energy
    expect((await second.read()).energyWh).toBe(2500);
    second.setDemand!({ charging: true, limitW: null });
    clock.advance(900);
    expect((await second.read()).energyWh).toBe(3000);
    await second.close();
  });

  it('explains a corrupt state file', async () => {
    const stateFile = join(dir, 'meter.json');
    await writeFile(stateFile, '{not json');
    const m = meter({ stateFile });
    await expect(m.open()).rejects.toThrow(/not valid JSON; fix or delete it/);
  });

  it('rejects a bad curve and an unknown meter kind', () => {
    expect(() => meter({ curve: [] })).toThrow(/non-empty array/);
    expect(() => meter({ curve: [{ atSeconds: -1, powerW: 5 }] })).toThrow(/atSeconds and powerW must be numbers >= 0/);
    try {
      createMeterDriver({ kind: 'nope' } as never, { log: silentLogger });
      expect.unreachable();
    } catch (err) {
      expect(isCsmsError(err)).toBe(true);
      expect((err as Error).message).toMatch(/use "simulated", "modbus-tcp" or "modbus-rtu"/);
    }
  });
});
