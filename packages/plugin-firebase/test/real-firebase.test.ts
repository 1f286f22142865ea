/**
 * Against a real Firebase project: runs only when these are set (skipped otherwise):
 *   CHARGE_IT_FIREBASE_TEST_DATABASE_URL   https://<project>-default-rtdb.<region>.firebasedatabase.app
 *   GOOGLE_APPLICATION_CREDENTIALS         path of a service-account key of that project
 *                                          (or CHARGE_IT_FIREBASE_TEST_CREDENTIALS, same meaning)
 * Optional: CHARGE_IT_FIREBASE_TEST_CHECK_RULES=1 also checks, as an anonymous REST client, that the
 * deployed rules (charge-it-firebase deploy-rules) let a driver read /v1/stations/<id> and not the root.
 * The mirror writes under /charge-it-test/<run>/v1 and removes it afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { initializeApp, cert, applicationDefault, deleteApp } from 'firebase-admin/app';
import { getDatabase } from 'firebase-admin/database';
import type { FakeChargePoint, TestCsms } from '@charge-it/core/testing';
import { firebaseMirror, resolveAccess } from '../src/index.js';
import { waitFor } from './helpers/firebase-server.js';
import { ID_TAG, connectCharger, meter, startCsms } from './helpers/station.js';

const databaseURL = process.env.CHARGE_IT_FIREBASE_TEST_DATABASE_URL;
const credentials = process.env.CHARGE_IT_FIREBASE_TEST_CREDENTIALS ?? process.env.GOOGLE_APPLICATION_CREDENTIALS;
const configured = Boolean(databaseURL && credentials);

describe.skipIf(!configured)('real Firebase project', () => {
  const run = `charge-it-test/${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const root = `${run}/v1`;
  let csms: TestCsms | null = null;
  let cp: FakeChargePoint | null = null;
  const access = configured ? resolveAccess({ databaseURL, credentials, env: {} }) : null;
  const admin = configured
    ? initializeApp(
        { databaseURL, credential: access?.kind === 'serviceAccount' ? cert(access.key as Parameters<typeof cert>[0]) : applicationDefault() },
        `charge-it-real-check-${randomUUID()}`,
      )
    : null;
  const read = async (path: string) => (await getDatabase(admin!).ref(path).once('value')).val();

  afterAll(async () => {
    await cp?.close().catch(() => {});
    await csms?.close();
    if (admin) {
      await getDatabase(admin).ref(run).remove().catch(() => {});
      await deleteApp(admin);
    }
  });

  it('mirrors a session to the project', async () => {
    csms = await startCsms([firebaseMirror({ databaseURL, credentials, path: root, throttleMs: 500, driverPage: false, env: {} })]);
    cp = await connectCharger(csms);
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 0 });
    await cp.status(1, 'Charging');
    await meter(cp, transactionId, 1_250, 7_000);
    const c = await waitFor(() => read(`${root}/stations/CP-1/connectors/1`), (v) => v?.session?.energyWh === 1_250, 'session in the real database', 60_000);
    expect(c).toMatchObject({ status: 'Charging', session: { transactionId, idTagMasked: 'DEMO••23', powerW: 7_000 } });
    expect(await read(`${root}/stations/CP-1/online`)).toBe(true);
    expect(await csms.csms.services.get('firebaseMirror').flush(30_000)).toBe(true);
  }, 120_000);

  it.skipIf(process.env.CHARGE_IT_FIREBASE_TEST_CHECK_RULES !== '1')('the deployed rules let a driver read a station and nothing else', async () => {
    const base = databaseURL!.replace(/\/$/, '');
    expect((await fetch(`${base}/v1/stations/CP-1.json`)).status).toBe(200);
    expect((await fetch(`${base}/.json`)).status).toBe(401);
    expect((await fetch(`${base}/v1/stations/CP-1.json`, { method: 'PUT', body: '{"online":false}' })).status).toBe(401);
  });
});
