import { join } from 'node:path';
import {
  MeterSampleSchema,
  OrphanMessageSchema,
  StatusEventSchema,
  TransactionSchema,
  type MeterSample,
  type OrphanMessage,
  type StatusEvent,
  type Transaction,
} from '@charge-it/core';
import { createTestCsms, type TestCsms, type TestCsmsOptions } from '@charge-it/core/testing';
import type { EdgeConfig } from '../../src/config/edge-config.js';

/* Helpers for the edge runtime's tests against the real core, in-process: the core on a real
 * SQLite file in a folder the test owns (so that it can be closed and started again on the same
 * port and the same file, like a server that goes down and comes back), an edge config pointing at
 * it, and readers of the core's tables. */

/** The SQLite URL of the core's database file inside `dir`. */
export function coreDatabaseUrl(dir: string): string {
  return `sqlite:${join(dir, 'csms.db')}`;
}

/**
 * Starts the core on 127.0.0.1 with its database in `dir` (created on the first start, reused
 * afterwards). Pass `port` to come back on the port of an earlier instance.
 */
export function startCore(dir: string, options: TestCsmsOptions = {}): Promise<TestCsms> {
  return createTestCsms({ databaseUrl: coreDatabaseUrl(dir), ...options });
}

/** An edge charge point config for the core at `csmsUrl` (the core's `ocppUrl`), fast reconnects, silent. */
export function edgeConfig(csmsUrl: string, dataDir: string, overrides: Partial<EdgeConfig> = {}): EdgeConfig {
  return {
    identity: 'CP-1',
    csmsUrl,
    dataDir,
    boot: { chargePointVendor: 'Charge-IT', chargePointModel: 'Edge-Test' },
    reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    bootRetryDefaultS: 1,
    callTimeoutMs: 5_000,
    logLevel: 'silent',
    ...overrides,
    // These tests drive the cable with plugIn()/unplug(); a test that gives `cable` keeps it.
    connectors: (overrides.connectors ?? [{ maxPowerW: 11_000 }]).map((c) => ({ cable: 'manual' as const, ...c })),
    ocppConfig: { HeartbeatInterval: 300, ...(overrides.ocppConfig ?? {}) },
  };
}

export interface CoreRows {
  transactions: Transaction[];
  /** Ordered by id, i.e. in the order the core stored them. */
  samples: MeterSample[];
  statuses: StatusEvent[];
  orphans: OrphanMessage[];
}

/** Reads the core's transaction-related tables for one charge point (fresh entity manager). */
export async function coreRows(server: TestCsms, chargePointId = 'CP-1'): Promise<CoreRows> {
  await server.csms.services.get('sampleInbox').settle(); // new samples wait in an inbox; readers move them first
  const em = server.csms.orm.em.fork();
  const byId = { orderBy: { id: 'asc' } } as const;
  return {
    transactions: await em.find(TransactionSchema, { chargePoint: chargePointId }, byId),
    samples: await em.find(MeterSampleSchema, { chargePoint: chargePointId }, byId),
    statuses: await em.find(StatusEventSchema, { chargePoint: chargePointId }, byId),
    orphans: await em.find(OrphanMessageSchema, { chargePoint: chargePointId }, byId),
  };
}

/** Polls a condition until it holds or the deadline passes (bounded; never a fixed sleep). */
export async function pollUntil(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Awaits a promise with a deadline. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
