/**
 * Shared set-up of the "OCPP rules" end-to-end tests (test/ocpp-rules-*.test.ts): a real CSMS on
 * 127.0.0.1 port 0 over a fresh database of the given kind, fake charge points on real websockets,
 * a hook recorder, and exact row counts of the tables the rules touch.
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import {
  ChargePointSchema,
  DeviceEventSchema,
  MeterSampleSchema,
  OrphanMessageSchema,
  StatusEventSchema,
  TransactionSchema,
  type MeterSample,
} from '../src/persistence/entities/index.js';
import { createTestCsms, EventRecorder, FakeChargePoint, type TestCsms, type TestCsmsOptions } from '../src/testing/index.js';
import type { FakeChargePointOptions } from '../src/testing/fake-charge-point.js';
import type { RawClient } from './gateway-fixtures.js';
import type { TestDatabase, TestDatabaseKind } from './support/databases.js';

/** Rows per table; scoped to one charge point when `counts(id)` is given one. */
export interface RowCounts {
  charge_point: number;
  charge_transaction: number;
  meter_sample: number;
  orphan_message: number;
  status_event: number;
  device_event: number;
}

export interface RulesHarness {
  readonly database: TestDatabase;
  readonly recorder: EventRecorder;
  /** The CSMS now running (replaced by `restart`). */
  readonly server: TestCsms;
  /** A connected fake charge point; closed by `closeRulesHarnesses`. */
  connect(identity: string, options?: Partial<FakeChargePointOptions>): Promise<FakeChargePoint>;
  /** A fresh entity manager (reads what is committed). */
  em(): EntityManager;
  /**
   * Stored meter samples, read as every reader of the core reads them: after the sample inbox is
   * moved into meter_sample.
   */
  samples(where: FilterQuery<MeterSample>): Promise<MeterSample[]>;
  sampleCount(where: FilterQuery<MeterSample>): Promise<number>;
  counts(chargePointId?: string): Promise<RowCounts>;
  /** Closes the charge points and the CSMS, then starts a new CSMS on the same database. */
  restart(options?: TestCsmsOptions): Promise<TestCsms>;
}

export type RulesOptions = TestCsmsOptions;

const open: Array<() => Promise<void>> = [];

/**
 * Starts a CSMS for one test on a fresh database of `kind`. Every option of createTestCsms applies;
 * the recorder plugin is added in front of `plugins`. Call `closeRulesHarnesses` in `afterEach`.
 */
export async function startRules(kind: TestDatabaseKind, options: RulesOptions = {}): Promise<RulesHarness> {
  const database = await kind.create();
  const recorder = new EventRecorder();
  const chargePoints: FakeChargePoint[] = [];
  let server: TestCsms | undefined;
  const closeAll = async () => {
    for (const cp of chargePoints.splice(0)) await cp.close().catch(() => {});
    await server?.close();
    server = undefined;
  };
  open.push(async () => {
    await closeAll();
    await database.dispose();
  });
  const start = (opts: TestCsmsOptions) =>
    createTestCsms({ ...opts, databaseUrl: database.databaseUrl, plugins: [recorder.plugin, ...(opts.plugins ?? [])] });
  server = await start(options);

  /** Moves the sample inbox into meter_sample, as every reader of the core does before it reads. */
  const settled = () => harness.server.csms.services.get('sampleInbox').settle();
  const harness: RulesHarness = {
    database,
    recorder,
    get server() {
      if (!server) throw new Error('the CSMS of this test is closed');
      return server;
    },
    async connect(identity, cpOptions = {}) {
      const cp = new FakeChargePoint({ url: harness.server.ocppUrlFor(identity), identity, ...cpOptions });
      chargePoints.push(cp);
      await cp.connect();
      return cp;
    },
    em: () => harness.server.csms.orm.em.fork() as unknown as EntityManager,
    async samples(where) {
      await settled();
      return harness.em().find(MeterSampleSchema, where, { orderBy: { id: 'asc' } });
    },
    async sampleCount(where) {
      await settled();
      return harness.em().count(MeterSampleSchema, where);
    },
    async counts(chargePointId) {
      await settled();
      const em = harness.em();
      const where = chargePointId === undefined ? {} : { chargePoint: chargePointId };
      return {
        charge_point: await em.count(ChargePointSchema, chargePointId === undefined ? {} : { id: chargePointId }),
        charge_transaction: await em.count(TransactionSchema, where),
        meter_sample: await em.count(MeterSampleSchema, where),
        orphan_message: await em.count(OrphanMessageSchema, where),
        status_event: await em.count(StatusEventSchema, where),
        device_event: await em.count(DeviceEventSchema, where),
      };
    },
    async restart(restartOptions = {}) {
      await closeAll();
      recorder.clear();
      server = await start(restartOptions);
      return server;
    },
  };
  return harness;
}

/** Closes every harness started since the last call (charge points, CSMS, database). */
export async function closeRulesHarnesses(): Promise<void> {
  for (const close of open.splice(0)) await close();
}

/** A charge point clock value `seconds` after a base one hour in the past (well inside the skew tolerance). */
const base = Date.now() - 3_600_000;
export const at = (seconds: number): string => new Date(base + seconds * 1000).toISOString();

/** The 1.6 error code of a CALLERROR an ocpp-rpc client received (undefined when the call succeeded). */
export async function callErrorCode(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    const code = (err as { rpcErrorCode?: string }).rpcErrorCode;
    if (code === undefined) throw err;
    return code;
  }
}

/** Reads frames of a raw client until one answers `messageId` (CALLRESULT or CALLERROR). */
export async function replyTo(client: RawClient, messageId: string, others: unknown[][] = []): Promise<unknown[]> {
  for (let i = 0; i < 50; i++) {
    const frame = (await client.next()) as unknown[];
    if (frame[1] === messageId) return frame;
    others.push(frame);
  }
  throw new Error(`no reply to ${messageId}`);
}

/** Every reply frame of a raw client for the given ids, in any order. */
export async function repliesTo(client: RawClient, ids: string[]): Promise<Map<string, unknown[][]>> {
  const out = new Map<string, unknown[][]>(ids.map((id) => [id, []]));
  let missing = ids.length;
  for (let i = 0; missing > 0 && i < 200; i++) {
    const frame = (await client.next()) as unknown[];
    const list = out.get(frame[1] as string);
    if (list) {
      list.push(frame);
      missing--;
    }
  }
  return out;
}
