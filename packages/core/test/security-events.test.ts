/**
 * Issue 8 §5: the OCPP 1.6 security-extension messages a 1.6 charger may send are stored, answered
 * and shown (REST), and critical security events are raised as alerts (error log line
 * `security-alert` + the `onSecurityEvent` hook) — instead of NotImplemented. Real websockets,
 * SQLite, and MariaDB when CHARGE_IT_TEST_MARIADB_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEventPayload } from '../src/domain/security/security-event-service.js';
import { ChargePointSchema, DeviceEventSchema } from '../src/persistence/entities/index.js';
import { definePlugin } from '../src/plugin.js';
import { createRecordingLogger } from '../src/testing/index.js';
import { startApi } from './api-fixtures.js';
import { closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('security extension messages on $name', (db) => {
  it('stores and answers them; critical events become alerts; REST lists them', async () => {
    const seen: SecurityEventPayload[] = [];
    const pager = definePlugin({ name: 'pager', hooks: { onSecurityEvent: (event) => void seen.push(event) } });
    const logger = createRecordingLogger();
    const api = await startApi(db, { chargePoints: ['CP-1'], plugins: [pager], logger });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const call = (action: string, params: Record<string, unknown>) => cp.client.call(action, params);

    expect(await call('SecurityEventNotification', { type: 'TamperDetectionActivated', timestamp: '2026-12-06T08:00:00Z', techInfo: 'lid opened' })).toEqual({});
    expect(await call('SecurityEventNotification', { type: 'InvalidMessages', timestamp: '2026-12-06T08:01:00Z' })).toEqual({});
    expect(await call('SignedFirmwareStatusNotification', { status: 'InvalidSignature', requestId: 7 })).toEqual({});
    expect(await call('LogStatusNotification', { status: 'Uploaded', requestId: 8 })).toEqual({});
    expect(await call('SignCertificate', { csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----' })).toEqual({ status: 'Rejected' });

    const rows = await api.h.em().find(DeviceEventSchema, { chargePoint: 'CP-1', kind: { $ne: 'BootNotification' } }, { orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.kind, r.status])).toEqual([
      ['SecurityEventNotification', 'TamperDetectionActivated'],
      ['SecurityEventNotification', 'InvalidMessages'],
      ['SignedFirmwareStatusNotification', 'InvalidSignature'],
      ['LogStatusNotification', 'Uploaded'],
      ['SignCertificate', 'Rejected'],
    ]);
    expect((await api.h.em().findOneOrFail(ChargePointSchema, { id: 'CP-1' })).firmwareStatus).toBe('InvalidSignature');

    await api.h.server.csms.drain();
    expect(seen.map((e) => [e.type, e.critical, e.techInfo, e.timestamp])).toEqual([
      ['TamperDetectionActivated', true, 'lid opened', '2026-12-06T08:00:00.000Z'],
      ['InvalidMessages', false, null, '2026-12-06T08:01:00.000Z'],
    ]);
    const alert = await logger.waitFor((e) => e.event === 'security-alert', { timeoutMs: 10_000 });
    expect(alert).toMatchObject({ level: 'error', chargePointId: 'CP-1', type: 'TamperDetectionActivated' });
    expect(logger.filter((e) => e.event === 'security-alert')).toHaveLength(1);

    const viewerKey = await api.keyFor('viewer');
    const all = await api.call('GET', '/security-events?chargePointId=CP-1', { key: viewerKey });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(5);
    expect(all.body.items[0]).toMatchObject({ kind: 'SignCertificate', status: 'Rejected', critical: false });
    const critical = await api.call('GET', '/security-events?critical=true', { key: viewerKey });
    expect(critical.body.items).toEqual([
      expect.objectContaining({ chargePointId: 'CP-1', kind: 'SecurityEventNotification', status: 'TamperDetectionActivated', critical: true, techInfo: 'lid opened', timestamp: '2026-12-06T08:00:00.000Z' }),
    ]);
    expect((await api.call('GET', '/security-events?kind=LogStatusNotification', { key: viewerKey })).body.items).toEqual([
      expect.objectContaining({ kind: 'LogStatusNotification', status: 'Uploaded', requestId: 8 }),
    ]);
    expect((await api.call('GET', '/security-events', { key: null })).status).toBe(401);
  });
});
