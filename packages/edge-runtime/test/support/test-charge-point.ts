import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@charge-it/core/kernel';
import { afterEach, beforeEach } from 'vitest';
import { createChargePoint, type ChargePointHandle, type CreateChargePointOptions } from '../../src/create-charge-point.js';
import type { EdgeConfig } from '../../src/config/edge-config.js';
import { FakeMeter } from './fake-meter.js';
import { ScriptedCsms } from './scripted-csms.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'charge-it-edge-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function testConfig(csms: ScriptedCsms, dataDir: string, overrides: Partial<EdgeConfig> = {}): EdgeConfig {
  return {
    identity: 'CP-1',
    csmsUrl: csms.url,
    dataDir,
    boot: { chargePointVendor: 'Charge-IT', chargePointModel: 'Test' },
    reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    bootRetryDefaultS: 1,
    callTimeoutMs: 3_000,
    logLevel: 'silent',
    ...overrides,
    // The runtime tests drive the cable with plugIn()/unplug(); a test that gives `cable` keeps it.
    connectors: (overrides.connectors ?? [{ maxPowerW: 11_000 }]).map((c) => ({ cable: 'manual' as const, ...c })),
    ocppConfig: { MeterValueSampleInterval: 0, HeartbeatInterval: 300, ...(overrides.ocppConfig ?? {}) },
  };
}

export interface TestChargePoint {
  cp: ChargePointHandle;
  meters: FakeMeter[];
}

export type StartOptions = CreateChargePointOptions & {
  /** The fake meters, one per connector (default: new ones); 'configured': the config's own meters, no fakes. */
  meters?: FakeMeter[] | 'configured';
};

/** A charge point with fake meters (one per connector, unless `meters: 'configured'`), started. */
export async function startChargePoint(
  csms: ScriptedCsms,
  dataDir: string,
  overrides: Partial<EdgeConfig> = {},
  options: StartOptions = {},
): Promise<TestChargePoint> {
  const config = testConfig(csms, dataDir, overrides);
  const { meters: given, ...createOptions } = options;
  const meters = given === 'configured' ? [] : (given ?? config.connectors.map(() => new FakeMeter()));
  const meterFactory = given === 'configured' ? undefined : (id: number) => meters[id - 1] as FakeMeter;
  const cp = await createChargePoint(config, { log: silentLogger, ...createOptions, ...(meterFactory ? { meterFactory } : {}) });
  await cp.start();
  return { cp, meters };
}

/** What a runtime test works with; fresh for every test (see useChargePointTestEnv). */
export interface ChargePointTestEnv {
  /** This test's scripted central system. */
  readonly csms: ScriptedCsms;
  /** This test's data directory. */
  readonly dir: string;
  /** startChargePoint against `csms` in `dir` (`overrides.dataDir` may name another); stopped after the test. */
  start(overrides?: Partial<EdgeConfig>, options?: StartOptions): Promise<TestChargePoint>;
  /** Closes `csms` and starts another one with these options (e.g. a password) for the rest of the test. */
  replaceCsms(options: Parameters<typeof ScriptedCsms.start>[0]): Promise<ScriptedCsms>;
}

/**
 * Registers, in the enclosing describe, the setup every runtime test shares: before each test a
 * scripted central system and a temp dir; after it, every charge point the test started is stopped
 * (stop() is idempotent, so a test may stop one itself), then the central system is closed and the
 * dir removed. A describe's own afterEach runs before this one (vitest runs after-hooks in reverse).
 */
export function useChargePointTestEnv(): ChargePointTestEnv {
  let csms: ScriptedCsms | undefined;
  let dir: string | undefined;
  const started: ChargePointHandle[] = [];
  const inTest = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} exists only inside a test (useChargePointTestEnv sets it up in beforeEach)`);
    return value;
  };
  const env: ChargePointTestEnv = {
    get csms() {
      return inTest(csms, 'env.csms');
    },
    get dir() {
      return inTest(dir, 'env.dir');
    },
    async start(overrides = {}, options = {}) {
      const t = await startChargePoint(env.csms, env.dir, overrides, options);
      started.push(t.cp);
      return t;
    },
    async replaceCsms(options) {
      await env.csms.close();
      csms = await ScriptedCsms.start(options);
      return csms;
    },
  };
  beforeEach(async () => {
    csms = await ScriptedCsms.start();
    dir = tempDir();
  });
  afterEach(async () => {
    for (const cp of started.splice(0)) await cp.stop();
    await csms?.close();
    csms = undefined;
    if (dir !== undefined) removeDir(dir);
    dir = undefined;
  });
  return env;
}

/** Polls a condition (bounded) — for state that is not visible as a CSMS call. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
