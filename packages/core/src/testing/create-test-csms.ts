import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createCsms, type CreateCsmsOptions, type Csms, type ListenAddress } from '../create-csms.js';
import { IdTagSchema, type IdTagStatus } from '../persistence/entities/index.js';

export interface TestCsmsOptions extends CreateCsmsOptions {
  /** Seed IdTags: `{ 'TAG-1': 'Accepted' }` or full objects. */
  idTags?: Record<string, IdTagStatus | { status: IdTagStatus; parentIdTag?: string; expiryDate?: Date }>;
  /** Charge point ids to register before charge points connect (profile 0). */
  chargePoints?: string[];
}

export interface TestCsms extends ListenAddress {
  readonly csms: Csms;
  /** `ws://127.0.0.1:<port>/ocpp/<id>` */
  ocppUrlFor(chargePointId: string): string;
  /** Closes the CSMS and removes the temporary database folder. */
  close(): Promise<void>;
}

/**
 * A real CSMS for tests: port 0 on 127.0.0.1, a fresh SQLite file in a temporary folder (unless
 * `databaseUrl` is given, e.g. a fresh MariaDB database), logs silenced (set CHARGE_IT_TEST_LOG=debug
 * to see them), and none of the process's CHARGE_IT_* variables applied.
 */
export async function createTestCsms(options: TestCsmsOptions = {}): Promise<TestCsms> {
  const { idTags = {}, chargePoints = [], ...rest } = options;
  const dir = rest.databaseUrl ? null : await mkdtemp(join(tmpdir(), 'charge-it-test-'));
  const csms = await createCsms({
    port: 0,
    host: '127.0.0.1',
    env: {},
    logger: pino({ level: process.env.CHARGE_IT_TEST_LOG ?? 'silent' }),
    ...rest,
    databaseUrl: rest.databaseUrl ?? `sqlite:${join(dir!, 'csms.db')}`,
  });
  try {
    const em = csms.orm.em.fork();
    for (const [idTag, value] of Object.entries(idTags)) {
      const spec = typeof value === 'string' ? { status: value } : value;
      em.create(IdTagSchema, { idTag, status: spec.status, parentIdTag: spec.parentIdTag ?? null, expiryDate: spec.expiryDate ?? null });
    }
    for (const id of chargePoints) await csms.services.get('chargePointService').register(id);
    await em.flush();
    const address = await csms.listen();
    return {
      ...address,
      csms,
      ocppUrlFor: (id) => `${address.ocppUrl}/${encodeURIComponent(id)}`,
      async close() {
        await csms.close();
        if (dir) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await csms.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
