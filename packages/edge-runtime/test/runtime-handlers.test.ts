import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until, useChargePointTestEnv, type TestChargePoint } from './support/test-charge-point.js';

describe('edge runtime: CS→CP handlers', () => {
  const env = useChargePointTestEnv();
  let http: Server | undefined;

  afterEach(async () => {
    if (http) await new Promise((r) => http!.close(r));
    http = undefined;
  });

  async function ready(overrides: Parameters<typeof env.start>[0] = {}): Promise<TestChargePoint> {
    const t = await env.start(overrides);
    await env.csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    return t;
  }

  async function charging(cp: TestChargePoint['cp'], idTag = 'CARD-A'): Promise<number> {
    cp.plugIn(1);
    await cp.presentCard({ idTag, source: 'test' });
    await env.csms.waitFor('StartTransaction');
    await until(() => cp.state.connectors[1]?.transaction?.transactionId !== undefined, 'transaction id');
    return cp.state.connectors[1]!.transaction!.transactionId!;
  }

  it('RemoteStart (plugged → starts; unknown connector, occupied, wrong profile purpose → Rejected) and RemoteStop', async () => {
    const { csms } = env;
    const { cp, meters } = await ready();
    cp.plugIn(1);
    expect(await csms.callCp('RemoteStartTransaction', { idTag: 'R1', connectorId: 9 })).toEqual({ status: 'Rejected' });
    expect(
      await csms.callCp('RemoteStartTransaction', {
        idTag: 'R1',
        chargingProfile: { chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 3000 }] } },
      }),
    ).toEqual({ status: 'Rejected' });
    expect(
      await csms.callCp('RemoteStartTransaction', {
        idTag: 'R1',
        connectorId: 1,
        chargingProfile: { chargingProfileId: 2, stackLevel: 0, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 3000 }] } },
      }),
    ).toEqual({ status: 'Accepted' });
    const start = await csms.waitFor('StartTransaction');
    expect(start.params.idTag).toBe('R1');
    await until(() => meters[0]!.lastDemand?.limitW === 3000, 'TxProfile applied');
    expect(await csms.callCp('RemoteStartTransaction', { idTag: 'R2', connectorId: 1 })).toEqual({ status: 'Rejected' });
    await until(() => cp.state.connectors[1]?.transaction?.transactionId !== undefined, 'id');
    expect(await csms.callCp('RemoteStopTransaction', { transactionId: 999 })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('RemoteStopTransaction', { transactionId: 100 })).toEqual({ status: 'Accepted' });
    expect((await csms.waitFor('StopTransaction')).params.reason).toBe('Remote');
    // The TxProfile ended with its transaction.
    await until(() => meters[0]!.lastDemand?.limitW === 11_000, 'profile cleared');
  });

  it('RemoteStart with AuthorizeRemoteTxRequests asks the CS and refuses an invalid id', async () => {
    const { csms } = env;
    csms.answer('Authorize', (p) => ({ idTagInfo: { status: p.idTag === 'BAD' ? 'Blocked' : 'Accepted' } }));
    await ready({ ocppConfig: { AuthorizeRemoteTxRequests: true } });
    expect(await csms.callCp('RemoteStartTransaction', { idTag: 'BAD', connectorId: 1 })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('RemoteStartTransaction', { idTag: 'GOOD', connectorId: 1 })).toEqual({ status: 'Accepted' });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Preparing');
  });

  it('ChangeAvailability: Inoperative → Unavailable; Scheduled while charging, applied after the stop; unknown connector Rejected', async () => {
    const { csms } = env;
    const { cp } = await ready();
    expect(await csms.callCp('ChangeAvailability', { connectorId: 5, type: 'Inoperative' })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('ChangeAvailability', { connectorId: 1, type: 'Inoperative' })).toEqual({ status: 'Accepted' });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Unavailable');
    expect(await cp.presentCard({ idTag: 'CARD-A', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await csms.callCp('ChangeAvailability', { connectorId: 0, type: 'Operative' })).toEqual({ status: 'Accepted' });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Available', 2);
    await charging(cp);
    expect(await csms.callCp('ChangeAvailability', { connectorId: 1, type: 'Inoperative' })).toEqual({ status: 'Scheduled' });
    await cp.presentCard({ idTag: 'CARD-A', source: 'test' });
    await csms.waitFor('StopTransaction');
    cp.unplug(1);
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Unavailable', 2);
  });

  it('ChangeConfiguration / GetConfiguration: RO, unknown, invalid, unsupported measurand, persistence', async () => {
    const { csms } = env;
    let t = await ready();
    expect(await csms.callCp('ChangeConfiguration', { key: 'NumberOfConnectors', value: '4' })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('ChangeConfiguration', { key: 'NoSuchKey', value: '1' })).toEqual({ status: 'NotSupported' });
    expect(await csms.callCp('ChangeConfiguration', { key: 'HeartbeatInterval', value: 'often' })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('ChangeConfiguration', { key: 'WebSocketPingInterval', value: '-5' })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('ChangeConfiguration', { key: 'LocalPreAuthorize', value: 'maybe' })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('ChangeConfiguration', { key: 'MeterValuesSampledData', value: 'Energy.Active.Import.Register,RPM' })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('ChangeConfiguration', { key: 'MeterValuesSampledData', value: 'Energy.Active.Import.Register,Current.Import' })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('ChangeConfiguration', { key: 'WebSocketPingInterval', value: '0' })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('ChangeConfiguration', { key: 'LocalPreAuthorize', value: 'TRUE' })).toEqual({ status: 'Accepted' });
    const got = await csms.callCp('GetConfiguration', { key: ['MeterValuesSampledData', 'NumberOfConnectors', 'Bogus'] });
    expect(got.configurationKey).toEqual([
      { key: 'MeterValuesSampledData', readonly: false, value: 'Energy.Active.Import.Register,Current.Import' },
      { key: 'NumberOfConnectors', readonly: true, value: '1' },
    ]);
    expect(got.unknownKey).toEqual(['Bogus']);
    const all = await csms.callCp('GetConfiguration', {});
    expect(all.configurationKey.length).toBeGreaterThan(40);
    expect(all.unknownKey).toBeUndefined();
    // Persisted: a new process sees the CS's values.
    await t.cp.stop();
    t = await env.start();
    expect(t.cp.configValue('MeterValuesSampledData')).toBe('Energy.Active.Import.Register,Current.Import');
    expect(t.cp.configValue('LocalPreAuthorize')).toBe('true');
  });

  it('ClearCache, DataTransfer, GetLocalListVersion, SendLocalList (Full, Differential, VersionMismatch, Failed)', async () => {
    const { csms } = env;
    await ready();
    expect(await csms.callCp('ClearCache', {})).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('DataTransfer', { vendorId: 'acme', messageId: 'x', data: 'y' })).toEqual({ status: 'UnknownVendorId' });
    expect(await csms.callCp('GetLocalListVersion', {})).toEqual({ listVersion: 0 });
    expect(
      await csms.callCp('SendLocalList', { listVersion: 3, updateType: 'Full', localAuthorizationList: [{ idTag: 'L1', idTagInfo: { status: 'Accepted' } }, { idTag: 'L2', idTagInfo: { status: 'Blocked' } }] }),
    ).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('GetLocalListVersion', {})).toEqual({ listVersion: 3 });
    expect(await csms.callCp('SendLocalList', { listVersion: 3, updateType: 'Differential', localAuthorizationList: [{ idTag: 'L3', idTagInfo: { status: 'Accepted' } }] })).toEqual({
      status: 'VersionMismatch',
    });
    expect(await csms.callCp('SendLocalList', { listVersion: 4, updateType: 'Differential', localAuthorizationList: [{ idTag: 'L1' }] })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('SendLocalList', { listVersion: 5, updateType: 'Full', localAuthorizationList: [{ idTag: 'L9' }] })).toEqual({ status: 'Failed' });
    expect(await csms.callCp('GetLocalListVersion', {})).toEqual({ listVersion: 4 });
    expect(await csms.callCp('ChangeConfiguration', { key: 'LocalAuthListEnabled', value: 'false' })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('SendLocalList', { listVersion: 6, updateType: 'Full', localAuthorizationList: [] })).toEqual({ status: 'NotSupported' });
  });

  it('ReserveNow / CancelReservation: Accepted, Occupied, Rejected, expiry, only the reserved card starts', async () => {
    const { csms } = env;
    const { cp } = await ready();
    const expiry = new Date(Date.now() + 60_000).toISOString();
    expect(await csms.callCp('ReserveNow', { connectorId: 3, expiryDate: expiry, idTag: 'RES', reservationId: 1 })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('ReserveNow', { connectorId: 1, expiryDate: expiry, idTag: 'RES', reservationId: 1 })).toEqual({ status: 'Accepted' });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Reserved');
    expect(await csms.callCp('ReserveNow', { connectorId: 1, expiryDate: expiry, idTag: 'OTHER', reservationId: 2 })).toEqual({ status: 'Occupied' });
    cp.plugIn(1);
    expect(await cp.presentCard({ idTag: 'OTHER', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await cp.presentCard({ idTag: 'RES', source: 'test' })).toMatchObject({ result: 'started' });
    expect((await csms.waitFor('StartTransaction')).params.reservationId).toBe(1);
    expect(await csms.callCp('CancelReservation', { reservationId: 1 })).toEqual({ status: 'Rejected' });
    await cp.presentCard({ idTag: 'RES', source: 'test' });
    await csms.waitFor('StopTransaction');
    cp.unplug(1);
    // Connector 0 reserves a free connector; cancel; a short reservation expires by itself.
    expect(await csms.callCp('ReserveNow', { connectorId: 0, expiryDate: expiry, idTag: 'RES', reservationId: 3 })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('CancelReservation', { reservationId: 3 })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('ReserveNow', { connectorId: 1, expiryDate: new Date(Date.now() + 700).toISOString(), idTag: 'RES', reservationId: 4 })).toEqual({ status: 'Accepted' });
    await until(() => cp.state.connectors[1]?.status === 'Reserved', 'reserved');
    await until(() => cp.state.connectors[1]?.status === 'Available', 'expired', 5_000);
    cp.setFault(1, 'GroundFailure');
    expect(await csms.callCp('ReserveNow', { connectorId: 1, expiryDate: expiry, idTag: 'RES', reservationId: 5 })).toEqual({ status: 'Faulted' });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Faulted' && p.errorCode === 'GroundFailure');
    cp.setFault(1, null);
    expect(await csms.callCp('ChangeAvailability', { connectorId: 1, type: 'Inoperative' })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('ReserveNow', { connectorId: 1, expiryDate: expiry, idTag: 'RES', reservationId: 6 })).toEqual({ status: 'Unavailable' });
  });

  it('Reset Soft and Hard stop the transaction with SoftReset/HardReset and emit reset; without a listener it re-boots', async () => {
    const { csms } = env;
    const { cp } = await ready();
    const resets: unknown[] = [];
    cp.on('reset', (e) => resets.push(e));
    await charging(cp);
    expect(await csms.callCp('Reset', { type: 'Soft' })).toEqual({ status: 'Accepted' });
    expect((await csms.waitFor('StopTransaction')).params.reason).toBe('SoftReset');
    await until(() => resets.length === 1, 'reset event');
    expect(resets[0]).toEqual({ type: 'Soft' });
    await cp.stop();
    // The host restarts: the next start is a reboot and sends a BootNotification.
    const t = await env.start();
    await csms.waitFor('BootNotification', () => true, 2);
    await until(() => t.cp.state.online && t.cp.state.boot === 'Accepted', 'second boot');
    t.cp.plugIn(1);
    expect(await t.cp.presentCard({ idTag: 'CARD-B', source: 'test' })).toMatchObject({ result: 'started' });
    await csms.waitFor('StartTransaction', () => true, 2);
    expect(await csms.callCp('Reset', { type: 'Hard' })).toEqual({ status: 'Accepted' });
    expect((await csms.waitFor('StopTransaction', () => true, 2)).params.reason).toBe('HardReset');
    await csms.waitFor('BootNotification', () => true, 3);
  });

  it('UnlockConnector stops with UnlockCommand; connector 0 / unknown → NotSupported', async () => {
    const { csms } = env;
    const { cp } = await ready();
    expect(await csms.callCp('UnlockConnector', { connectorId: 4 })).toEqual({ status: 'NotSupported' });
    expect(await csms.callCp('UnlockConnector', { connectorId: 1 })).toEqual({ status: 'Unlocked' });
    await charging(cp);
    expect(await csms.callCp('UnlockConnector', { connectorId: 1 })).toEqual({ status: 'Unlocked' });
    expect((await csms.waitFor('StopTransaction')).params.reason).toBe('UnlockCommand');
  });

  it('TriggerMessage: every message, Rejected for a bad connector', async () => {
    const { csms } = env;
    const { cp } = await ready();
    await charging(cp);
    expect(await csms.callCp('TriggerMessage', { requestedMessage: 'StatusNotification', connectorId: 7 })).toEqual({ status: 'Rejected' });
    for (const m of ['Heartbeat', 'DiagnosticsStatusNotification', 'FirmwareStatusNotification', 'MeterValues', 'StatusNotification', 'BootNotification']) {
      expect(await csms.callCp('TriggerMessage', { requestedMessage: m, connectorId: m === 'MeterValues' || m === 'StatusNotification' ? 1 : undefined })).toEqual({ status: 'Accepted' });
    }
    await csms.waitFor('Heartbeat');
    expect((await csms.waitFor('DiagnosticsStatusNotification')).params).toEqual({ status: 'Idle' });
    expect((await csms.waitFor('FirmwareStatusNotification')).params).toEqual({ status: 'Idle' });
    const mv = await csms.waitFor('MeterValues');
    expect(mv.params.transactionId).toBe(100);
    expect(mv.params.meterValue[0].sampledValue[0].context).toBe('Trigger');
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Charging', 2);
    await csms.waitFor('BootNotification', () => true, 2);
  });

  it('SetChargingProfile / GetCompositeSchedule / ClearChargingProfile limit the meter and validate', async () => {
    const { csms } = env;
    const { cp, meters } = await ready();
    const meter = meters[0]!;
    const txDefault = (id: number, stackLevel: number, limit: number, unit: 'A' | 'W' = 'W') => ({
      chargingProfileId: id,
      stackLevel,
      chargingProfilePurpose: 'TxDefaultProfile',
      chargingProfileKind: 'Absolute',
      chargingSchedule: { chargingRateUnit: unit, startSchedule: new Date(Date.now() - 1000).toISOString(), chargingSchedulePeriod: [{ startPeriod: 0, limit }] },
    });
    // Refusals: TxProfile without a transaction, ChargePointMax on a connector, stack level too high, unknown connector.
    expect(await csms.callCp('SetChargingProfile', { connectorId: 1, csChargingProfiles: { ...txDefault(1, 0, 5000), chargingProfilePurpose: 'TxProfile' } })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('SetChargingProfile', { connectorId: 1, csChargingProfiles: { ...txDefault(1, 0, 5000), chargingProfilePurpose: 'ChargePointMaxProfile' } })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('SetChargingProfile', { connectorId: 1, csChargingProfiles: txDefault(1, 99, 5000) })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('SetChargingProfile', { connectorId: 3, csChargingProfiles: txDefault(1, 0, 5000) })).toEqual({ status: 'Rejected' });

    expect(await csms.callCp('SetChargingProfile', { connectorId: 0, csChargingProfiles: txDefault(1, 0, 16, 'A') })).toEqual({ status: 'Accepted' });
    await charging(cp);
    // 16 A × 230 V × 3 phases = 11040 W, capped by the 11 kW rating.
    expect(meter.lastDemand).toEqual({ charging: true, limitW: 11_000 });
    expect(await csms.callCp('SetChargingProfile', { connectorId: 1, csChargingProfiles: txDefault(2, 1, 4000) })).toEqual({ status: 'Accepted' });
    expect(meter.lastDemand).toEqual({ charging: true, limitW: 4000 });
    expect(await csms.callCp('SetChargingProfile', { connectorId: 0, csChargingProfiles: { ...txDefault(3, 0, 2500), chargingProfilePurpose: 'ChargePointMaxProfile' } })).toEqual({ status: 'Accepted' });
    expect(meter.lastDemand).toEqual({ charging: true, limitW: 2500 });
    expect(cp.state.connectors[1]?.limitW).toBe(2500);
    const composite = await csms.callCp('GetCompositeSchedule', { connectorId: 1, duration: 600, chargingRateUnit: 'W' });
    expect(composite).toMatchObject({ status: 'Accepted', connectorId: 1, chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 2500 }] } });
    expect(await csms.callCp('GetCompositeSchedule', { connectorId: 8, duration: 600 })).toEqual({ status: 'Rejected' });
    // A TxProfile for the running transaction, a schedule that drops to 0 → SuspendedEVSE.
    expect(
      await csms.callCp('SetChargingProfile', {
        connectorId: 1,
        csChargingProfiles: { chargingProfileId: 4, transactionId: 100, stackLevel: 0, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 0 }] } },
      }),
    ).toEqual({ status: 'Accepted' });
    expect(meter.lastDemand).toEqual({ charging: false, limitW: 0 });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'SuspendedEVSE');
    expect(await csms.callCp('ClearChargingProfile', { id: 4 })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('ClearChargingProfile', { id: 4 })).toEqual({ status: 'Unknown' });
    expect(await csms.callCp('ClearChargingProfile', { chargingProfilePurpose: 'ChargePointMaxProfile' })).toEqual({ status: 'Accepted' });
    expect(meter.lastDemand).toEqual({ charging: true, limitW: 4000 });
    expect(await csms.callCp('ClearChargingProfile', {})).toEqual({ status: 'Accepted' });
    expect(meter.lastDemand).toEqual({ charging: true, limitW: 11_000 });
  });

  it('GetDiagnostics writes a file and uploads it by HTTP PUT; UpdateFirmware downloads and reports each step', async () => {
    const { csms, dir } = env;
    const uploads: Array<{ method: string; url: string; body: string }> = [];
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        uploads.push({ method: req.method ?? '', url: req.url ?? '', body });
        if (req.url === '/fw/image.bin') res.end('FIRMWARE');
        else if (req.url?.startsWith('/fail')) {
          res.statusCode = 500;
          res.end();
        } else res.end('ok');
      });
    });
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    await ready();
    const diag = await csms.callCp('GetDiagnostics', { location: `${base}/diag/` });
    expect(diag.fileName).toMatch(/^diagnostics-CP-1-.*\.json$/);
    expect(existsSync(join(dir, 'diagnostics', diag.fileName))).toBe(true);
    await csms.waitFor('DiagnosticsStatusNotification', (p) => p.status === 'Uploaded');
    expect(csms.callsOf('DiagnosticsStatusNotification').map((c) => c.params.status)).toEqual(['Uploading', 'Uploaded']);
    expect(uploads[0]).toMatchObject({ method: 'PUT', url: `/diag/${diag.fileName}` });
    expect(JSON.parse(uploads[0]!.body).identity).toBe('CP-1');
    await csms.callCp('GetDiagnostics', { location: `${base}/fail/` });
    await csms.waitFor('DiagnosticsStatusNotification', (p) => p.status === 'UploadFailed');

    expect(await csms.callCp('UpdateFirmware', { location: `${base}/fw/image.bin`, retrieveDate: new Date().toISOString() })).toEqual({});
    await csms.waitFor('FirmwareStatusNotification', (p) => p.status === 'Installed');
    expect(csms.callsOf('FirmwareStatusNotification').map((c) => c.params.status)).toEqual(['Downloading', 'Downloaded', 'Installing', 'Installed']);
    expect(readdirSync(join(dir, 'firmware'))).toEqual(['image.bin']);
    await csms.callCp('UpdateFirmware', { location: `${base}/fail/x.bin`, retrieveDate: new Date().toISOString() });
    await csms.waitFor('FirmwareStatusNotification', (p) => p.status === 'DownloadFailed');
  });

  it('an unknown action is a NotImplemented CALLERROR', async () => {
    const csms = await env.replaceCsms({ strict: false });
    await ready();
    await expect(csms.callCp('FooBar', {})).rejects.toMatchObject({ rpcErrorCode: 'NotImplemented' });
  });
});
