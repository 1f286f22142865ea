import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../src/domain/settings/settings-service.js';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema, SettingSchema } from '../src/persistence/entities/index.js';
import { closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('runtime settings on $name', (db) => {
  it('starts from the defaults, stores changes, survives a restart and announces them', async () => {
    const h = await startRules(db);
    const settings = () => h.server.csms.services.get('settings');
    expect(await settings().all()).toEqual(DEFAULT_SETTINGS);

    const tariff = { energyPricePerKwh: 2_500, pricePerMinute: 100, idleFeePerMinute: 1_000, idleGraceMinutes: 10, taxPercent: 12 };
    await settings().set('tariff', tariff, 'api:admin');
    await settings().set('maintenanceMode', true, 'api:admin');
    expect(await settings().get('tariff')).toEqual(tariff);

    await h.server.csms.drain();
    const changes = h.recorder.of('onSettingsChanged');
    expect(changes.map((c) => [c.key, c.previous])).toEqual([
      ['tariff', DEFAULT_SETTINGS.tariff],
      ['maintenanceMode', false],
    ]);
    const audit = await h.em().find(AuditLogSchema, { action: 'ChangeSetting' }, { orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actor, (a.request as { key: string }).key])).toEqual([
      ['api:admin', 'tariff'],
      ['api:admin', 'maintenanceMode'],
    ]);

    await h.restart();
    expect(await h.server.csms.services.get('settings').all()).toEqual({ ...DEFAULT_SETTINGS, tariff, maintenanceMode: true });
    expect(await h.em().count(SettingSchema, {})).toBe(2);
  });

  it('rejects bad values field by field and stores nothing', async () => {
    const h = await startRules(db);
    const settings = h.server.csms.services.get('settings');
    await expect(
      settings.set('tariff', { energyPricePerKwh: 2466.5, pricePerMinute: -1, idleFeePerMinute: 0, idleGraceMinutes: 0, taxPercent: 150, extra: 1 } as never),
    ).rejects.toMatchObject({
      code: CsmsErrorCode.SETTING_INVALID,
      details: {
        fields: {
          'tariff.energyPricePerKwh': 'must be a whole number ≥ 0',
          'tariff.pricePerMinute': 'must be a whole number ≥ 0',
          'tariff.taxPercent': 'must be a percentage from 0 to 100',
          'tariff.extra': 'unknown field',
        },
      },
    });
    await expect(settings.set('site', { maxGridPowerKw: 5, minPowerPerConnectorKw: 7, defaultChargePointMaxKw: 22 })).rejects.toMatchObject({
      details: { fields: { 'site.minPowerPerConnectorKw': 'must not be above the site limit maxGridPowerKw' } },
    });
    await expect(settings.set('maintenanceMode', 'yes' as never)).rejects.toMatchObject({ code: CsmsErrorCode.SETTING_INVALID });
    await expect(settings.set('nope' as never, 1 as never)).rejects.toMatchObject({ code: CsmsErrorCode.SETTING_INVALID });
    expect(await h.em().count(SettingSchema, {})).toBe(0);
    expect(await settings.all()).toEqual(DEFAULT_SETTINGS);
  });
});
