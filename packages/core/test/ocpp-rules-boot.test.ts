/**
 * DESIGN.md "OCPP rules" for BootNotification Pending/Rejected (OCPP-NOTES §1.5, F12), reconnecting
 * without a Boot (§1.4), and the device-level messages (DataTransfer, Diagnostics/Firmware status).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import type { RegistrationStatus } from '../src/ocpp/v16/messages.js';
import { ChargePointSchema, DeviceEventSchema, MeterSampleSchema, TransactionSchema } from '../src/persistence/entities/index.js';
import { definePlugin } from '../src/plugin.js';
import { RawClient } from './gateway-fixtures.js';
import { at, callErrorCode, closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

/** An onBoot policy whose answer the test changes as it goes. */
function bootPolicy(initial: RegistrationStatus) {
  const state = { status: initial, firstBoots: [] as boolean[] };
  const plugin = definePlugin({
    name: 'boot-policy',
    hooks: {
      onBoot: ({ firstBoot }) => {
        state.firstBoots.push(firstBoot);
        return { status: state.status };
      },
    },
  });
  return Object.assign(state, { plugin });
}

describe.each(testDatabases())('OCPP rules: boot and device messages on $name', (db) => {
  describe('BootNotification Pending / Rejected (onBoot)', () => {
    it('Pending: interval = bootRetryInterval, registrationStatus stored, the charge point may keep talking', async () => {
      const policy = bootPolicy('Pending');
      const h = await startRules(db, { chargePoints: ['CP-1'], plugins: [policy.plugin], heartbeatInterval: 900, bootRetryInterval: 45 });
      const cp = await h.connect('CP-1');

      const boot = await cp.boot({ chargePointSerialNumber: 'SN-1' });
      expect(boot).toEqual({ status: 'Pending', interval: 45, currentTime: expect.any(String) });
      expect(h.server.csms.sessions.get('CP-1')?.registrationStatus).toBe('Pending');
      const row = await h.em().findOneOrFail(ChargePointSchema, { id: 'CP-1' });
      expect(row).toMatchObject({ registrationStatus: 'Pending', serialNumber: 'SN-1' });
      const events = await h.em().find(DeviceEventSchema, { chargePoint: 'CP-1' });
      expect(events.map((e) => [e.kind, e.status])).toEqual([['BootNotification', 'Pending']]);
      // A Pending charge point is not cut off (it may send what it was triggered to send).
      expect(await cp.heartbeat()).toEqual({ currentTime: expect.any(String) });

      policy.status = 'Accepted';
      expect(await cp.boot()).toMatchObject({ status: 'Accepted', interval: 900 });
      expect(policy.firstBoots).toEqual([true, false]);
    });

    it('Rejected: Heartbeat/Authorize/StatusNotification get SecurityError, Start/Stop/MeterValues get CALLRESULTs and are stored; an Accepted boot lifts it', async () => {
      const policy = bootPolicy('Rejected');
      const h = await startRules(db, { chargePoints: ['CP-1'], plugins: [policy.plugin], bootRetryInterval: 30, idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');

      expect(await cp.boot()).toEqual({ status: 'Rejected', interval: 30, currentTime: expect.any(String) });
      expect(await h.em().findOneOrFail(ChargePointSchema, { id: 'CP-1' })).toMatchObject({ registrationStatus: 'Rejected' });

      expect(await callErrorCode(cp.heartbeat())).toBe('SecurityError');
      expect(await callErrorCode(cp.authorize('TAG'))).toBe('SecurityError');
      expect(await callErrorCode(cp.status(1, 'Available'))).toBe('SecurityError');
      expect(await callErrorCode(cp.call('DataTransfer', { vendorId: 'com.acme' }))).toBe('SecurityError');

      // Transaction data is never refused: the charger would retry and then drop it.
      const start = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
      expect(start).toEqual({ transactionId: expect.any(Number), idTagInfo: { status: 'Accepted' } });
      expect(await cp.meterValues({ transactionId: start.transactionId, energyWh: 500, timestamp: at(60) })).toEqual({});
      expect(await cp.stopTransaction({ transactionId: start.transactionId, meterStop: 800, timestamp: at(120) })).toEqual({});
      expect(await h.em().findOneOrFail(TransactionSchema, { id: start.transactionId })).toMatchObject({ status: 'Completed', energyWh: 800 });
      expect(await h.sampleCount({ transaction: start.transactionId })).toBe(1);
      expect(await h.counts('CP-1')).toEqual({
        charge_point: 1,
        charge_transaction: 1,
        meter_sample: 1,
        orphan_message: 0,
        status_event: 0,
        device_event: 1,
      });

      policy.status = 'Accepted';
      expect(await cp.boot()).toMatchObject({ status: 'Accepted' });
      expect(await cp.heartbeat()).toEqual({ currentTime: expect.any(String) });
      expect(await cp.status(1, 'Available')).toEqual({});
      expect(await cp.authorize('TAG')).toEqual({ idTagInfo: { status: 'Accepted' } });
      expect(await h.em().findOneOrFail(ChargePointSchema, { id: 'CP-1' })).toMatchObject({ registrationStatus: 'Accepted' });
      const boots = await h.em().find(DeviceEventSchema, { chargePoint: 'CP-1', kind: 'BootNotification' }, { orderBy: { id: 'asc' } });
      expect(boots.map((e) => e.status)).toEqual(['Rejected', 'Accepted']);
    });
  });

  it('a call refused at once (Rejected) is forgotten: its message id used again later gets a fresh answer', async () => {
    const policy = bootPolicy('Rejected');
    const h = await startRules(db, { chargePoints: ['CP-1'], plugins: [policy.plugin], bootRetryInterval: 30 });
    const raw = await RawClient.connect(h.server.port, 'CP-1');
    const reply = async (id: string) => {
      for (let i = 0; i < 20; i++) {
        const frame = (await raw.next()) as unknown[];
        if (frame[1] === id) return frame;
      }
      throw new Error(`no reply to ${id}`);
    };
    raw.send([2, 'b1', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' }]);
    expect((await reply('b1'))[2]).toMatchObject({ status: 'Rejected' });
    raw.send([2, 'hb', 'Heartbeat', {}]);
    expect((await reply('hb')).slice(0, 3)).toEqual([4, 'hb', 'SecurityError']);
    policy.status = 'Accepted';
    raw.send([2, 'b2', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' }]);
    expect((await reply('b2'))[2]).toMatchObject({ status: 'Accepted' });
    raw.send([2, 'hb', 'Heartbeat', {}]);
    expect(await reply('hb')).toEqual([3, 'hb', { currentTime: expect.any(String) }]);
    await raw.close();
  });

  describe('reconnect without a BootNotification', () => {
    it('after a CSMS restart the registration status comes from the database: Accepted works at once, Rejected stays rejected', async () => {
      const policy = bootPolicy('Accepted');
      const h = await startRules(db, { chargePoints: ['CP-OK', 'CP-NO', 'CP-NEW'], plugins: [policy.plugin] });
      await (await h.connect('CP-OK')).boot();
      policy.status = 'Rejected';
      await (await h.connect('CP-NO')).boot();

      await h.restart();
      const ok = await h.connect('CP-OK');
      const no = await h.connect('CP-NO');
      expect(h.server.csms.sessions.get('CP-OK')?.registrationStatus).toBe('Accepted');
      expect(h.server.csms.sessions.get('CP-NO')?.registrationStatus).toBe('Rejected');
      expect(await ok.heartbeat()).toEqual({ currentTime: expect.any(String) });
      expect(await callErrorCode(no.heartbeat())).toBe('SecurityError');

      // A registered charge point that never booted is not treated as rejected.
      const fresh = await h.connect('CP-NEW');
      expect(h.server.csms.sessions.get('CP-NEW')?.registrationStatus).toBeNull();
      expect(await fresh.heartbeat()).toEqual({ currentTime: expect.any(String) });
    });
  });

  describe('DataTransfer', () => {
    it('an unknown vendor → UnknownVendorId, stored as a device_event', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'] });
      const cp = await h.connect('CP-1');
      const request = { vendorId: 'com.nobody', messageId: 'hello', data: '{"x":1}' };
      expect(await cp.call('DataTransfer', request)).toEqual({ status: 'UnknownVendorId' });
      const events = await h.em().find(DeviceEventSchema, { chargePoint: 'CP-1' });
      expect(events.map((e) => [e.kind, e.status, e.payload])).toEqual([['DataTransfer', 'UnknownVendorId', { request, response: { status: 'UnknownVendorId' } }]]);
    });

    it('a plugin that claims a vendor with ctx.handleDataTransfer answers it (and the exchange is stored)', async () => {
      const acme = definePlugin({
        name: 'acme',
        setup(ctx) {
          ctx.handleDataTransfer('com.acme', (call) => ({ status: 'Accepted', data: `pong:${call.chargePointId}:${call.params.data ?? ''}` }));
        },
      });
      const h = await startRules(db, { chargePoints: ['CP-1'], plugins: [acme] });
      const cp = await h.connect('CP-1');
      expect(await cp.call('DataTransfer', { vendorId: 'com.acme', data: 'ping' })).toEqual({ status: 'Accepted', data: 'pong:CP-1:ping' });
      expect(await cp.call('DataTransfer', { vendorId: 'com.other' })).toEqual({ status: 'UnknownVendorId' });
      const events = await h.em().find(DeviceEventSchema, { chargePoint: 'CP-1' }, { orderBy: { id: 'asc' } });
      expect(events.map((e) => [e.kind, e.status])).toEqual([
        ['DataTransfer', 'Accepted'],
        ['DataTransfer', 'UnknownVendorId'],
      ]);
    });

    it('a second plugin claiming the same vendor makes the boot fail with ACTION_CLAIMED', async () => {
      const claim = (name: string) =>
        definePlugin({
          name,
          setup(ctx) {
            ctx.handleDataTransfer('com.acme', () => ({ status: 'Accepted' }));
          },
        });
      await expect(startRules(db, { plugins: [claim('acme-1'), claim('acme-2')] })).rejects.toMatchObject({
        code: CsmsErrorCode.ACTION_CLAIMED,
        details: { vendorId: 'com.acme', owner: 'acme-2', claimedBy: 'acme-1' },
      });
    });
  });

  describe('DiagnosticsStatusNotification and FirmwareStatusNotification', () => {
    it('are stored on the charge point row and as device events', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'] });
      const cp = await h.connect('CP-1');
      expect(await cp.call('DiagnosticsStatusNotification', { status: 'Uploading' })).toEqual({});
      expect(await cp.call('DiagnosticsStatusNotification', { status: 'Uploaded' })).toEqual({});
      expect(await cp.call('FirmwareStatusNotification', { status: 'Installed' })).toEqual({});

      const row = await h.em().findOneOrFail(ChargePointSchema, { id: 'CP-1' });
      expect(row).toMatchObject({ diagnosticsStatus: 'Uploaded', firmwareStatus: 'Installed' });
      expect(row.diagnosticsStatusAt).toBeInstanceOf(Date);
      expect(row.firmwareStatusAt).toBeInstanceOf(Date);
      const events = await h.em().find(DeviceEventSchema, { chargePoint: 'CP-1' }, { orderBy: { id: 'asc' } });
      expect(events.map((e) => [e.kind, e.status, e.payload])).toEqual([
        ['DiagnosticsStatusNotification', 'Uploading', { status: 'Uploading' }],
        ['DiagnosticsStatusNotification', 'Uploaded', { status: 'Uploaded' }],
        ['FirmwareStatusNotification', 'Installed', { status: 'Installed' }],
      ]);
      expect(await h.counts('CP-1')).toEqual({
        charge_point: 1,
        charge_transaction: 0,
        meter_sample: 0,
        orphan_message: 0,
        status_event: 0,
        device_event: 3,
      });
    });
  });
});
