import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@charge-it/core/kernel';
import { createChargePoint, type ChargePointHandle, type CreateChargePointOptions } from '../../src/create-charge-point.js';
import type { EdgeConfig } from '../../src/config/edge-config.js';
import { FakeMeter } from './fake-meter.js';
import type { ScriptedCsms } from './scripted-csms.js';

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
    connectors: [{ maxPowerW: 11_000 }],
    boot: { chargePointVendor: 'Charge-IT', chargePointModel: 'Test' },
    reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    bootRetryDefaultS: 1,
    callTimeoutMs: 3_000,
    logLevel: 'silent',
    ...overrides,
    ocppConfig: { MeterValueSampleInterval: 0, HeartbeatInterval: 300, ...(overrides.ocppConfig ?? {}) },
  };
}

export interface TestChargePoint {
  cp: ChargePointHandle;
  meters: FakeMeter[];
}

/** A charge point with fake meters (one per connector), started. */
export async function startChargePoint(
  csms: ScriptedCsms,
  dataDir: string,
  overrides: Partial<EdgeConfig> = {},
  options: CreateChargePointOptions & { meters?: FakeMeter[] } = {},
): Promise<TestChargePoint> {
  const config = testConfig(csms, dataDir, overrides);
  const meters = options.meters ?? config.connectors.map(() => new FakeMeter());
  const cp = await createChargePoint(config, { log: silentLogger, ...options, meterFactory: (id) => meters[id - 1] as FakeMeter });
  await cp.start();
  return { cp, meters };
}

/** Polls a condition (bounded) — for state that is not visible as a CSMS call. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
