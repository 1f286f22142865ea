/**
 * Issue 8 §5: a start without CHARGE_IT_API_ADMIN_KEY must not revoke the bootstrap admin key of an
 * instance already running on the same database when that start fails (EADDRINUSE): stored
 * credentials change only after the start has succeeded, and the log says what happened.
 * SQLite, and MariaDB when CHARGE_IT_TEST_MARIADB_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeySchema } from '../src/persistence/entities/index.js';
import { createRecordingLogger, createTestCsms, type TestCsms } from '../src/testing/index.js';
import { newBootstrapKey } from './api-fixtures.js';
import { testDatabases, type TestDatabase } from './support/databases.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function me(server: TestCsms, key: string): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
  return res.status;
}

describe.each(testDatabases())('bootstrap admin key on $name', (kind) => {
  it('a failed start without the key leaves the running instance\'s key alone; a successful one revokes it and says so', async () => {
    const database: TestDatabase = await kind.create();
    open.push(() => database.dispose());
    const key = newBootstrapKey();
    const first = await createTestCsms({ databaseUrl: database.databaseUrl, apiAdminKey: key });
    open.push(() => first.close());
    expect(await me(first, key)).toBe(200);

    // Same database, same port, no key: listen fails with EADDRINUSE.
    const logger = createRecordingLogger();
    await expect(createTestCsms({ databaseUrl: database.databaseUrl, port: first.port, logger })).rejects.toThrow(/EADDRINUSE|cannot listen/);
    expect(await me(first, key)).toBe(200);
    const row = await first.csms.orm.em.fork().findOneOrFail(ApiKeySchema, { name: 'bootstrap-admin' });
    expect(row.revokedAt).toBeNull();
    expect(logger.find((e) => /credentials .* left unchanged/.test(String(e.msg)))).toMatchObject({ level: 'error' });

    // A start without the key that succeeds withdraws it (documented), with a warning.
    const logger2 = createRecordingLogger();
    const second = await createTestCsms({ databaseUrl: database.databaseUrl, logger: logger2 });
    open.push(() => second.close());
    expect(await me(first, key)).toBe(401);
    expect(logger2.find((e) => /CHARGE_IT_API_ADMIN_KEY is not set/.test(String(e.msg)))).toMatchObject({ level: 'warn' });
  });
});
