/**
 * REST `POST /charge-points` registers through the `chargePointRegistry` service (one rule for the
 * REST API, the dashboard and plugins): the REST bounds hold (maxPowerKw up to 10 000 kW), an id
 * the OCPP handshake would refuse ("." and "..") is refused with 400 naming the field, and the
 * service's audit entry and key handling are what REST answers. SQLite, and MariaDB when
 * CHARGE_IT_TEST_MARIADB_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema, ChargePointSchema } from '../src/persistence/entities/index.js';
import { startApi } from './api-fixtures.js';
import { closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('charge point registration (REST through chargePointRegistry) on $name', (db) => {
  it('accepts the REST bounds, refuses "." and "..", audits RegisterChargePoint with the REST key as actor', async () => {
    const api = await startApi(db);
    const big = await api.call('POST', '/charge-points', { body: { id: 'CP-MCS', securityProfile: 1, maxPowerKw: 3750, description: 'Truck bay' } });
    expect(big.status, big.text).toBe(201);
    expect(big.body.chargePoint).toMatchObject({ id: 'CP-MCS', securityProfile: 1, hasAuthKey: true, maxPowerKw: 3750, description: 'Truck bay' });
    expect(big.body.authKey).toMatch(/^[0-9a-f]{40}$/);
    const row = await api.h.em().findOneOrFail(ChargePointSchema, { id: 'CP-MCS' });
    expect(row.authKeyHash).toMatch(/^hs256\$/);

    expect((await api.call('POST', '/charge-points', { body: { id: 'CP-HUGE', securityProfile: 0, maxPowerKw: 10_001 } })).status).toBe(400);

    for (const id of ['.', '..']) {
      const refused = await api.call('POST', '/charge-points', { body: { id, securityProfile: 0 } });
      expect(refused.status, id).toBe(400);
      expect(refused.body.error.code, id).toBe(CsmsErrorCode.INPUT_INVALID);
      expect(Object.keys(refused.body.error.fields), id).toEqual(['id']);
    }

    const audit = await api.h.em().find(AuditLogSchema, { action: 'RegisterChargePoint' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'api:bootstrap-admin',
      chargePoint: 'CP-MCS',
      request: { id: 'CP-MCS', securityProfile: 1, maxPowerKw: 3750, description: 'Truck bay' },
      result: { keyGenerated: true },
      outcome: 'ok',
    });
    expect(JSON.stringify(audit)).not.toContain(big.body.authKey as string);
  });
});
