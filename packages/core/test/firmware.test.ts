import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema } from '../src/persistence/entities/index.js';
import { closeRulesHarnesses, startRules, type RulesOptions } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

const dirs: string[] = [];
afterEach(async () => {
  await closeRulesHarnesses();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setUp(db: Parameters<typeof startRules>[0], options: RulesOptions = {}) {
  const filesDir = await mkdtemp(join(tmpdir(), 'charge-it-files-'));
  dirs.push(filesDir);
  const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'], filesDir, ...options });
  const firmware = h.server.csms.services.get('firmware');
  const cp = await h.connect('CP-1');
  await cp.boot({ firmwareVersion: '1.0.0' });
  return { h, cp, firmware, filesDir };
}

describe.each(testDatabases())('firmware and diagnostics on $name', (db) => {
  it('GetDiagnostics: the charge point uploads to the given location; file on disk, status Uploaded tracked', async () => {
    const { h, cp, firmware } = await setUp(db);
    const received: Array<Record<string, unknown>> = [];
    cp.handle('GetDiagnostics', (params) => {
      received.push(params);
      return { fileName: 'diag-CP-1.log' };
    });
    const request = await firmware.requestDiagnostics('CP-1', { startTime: '2026-01-01T00:00:00Z', retries: 2, actor: 'api:ops' });
    expect(received).toHaveLength(1);
    expect(received[0]).toEqual({ location: request.location, startTime: '2026-01-01T00:00:00.000Z', retries: 2 });
    expect(request.location).toMatch(new RegExp(`^${h.server.url}/ocpp-files/diagnostics/CP-1/[a-f0-9]{32}/$`));
    expect(request).toMatchObject({ chargePointId: 'CP-1', fileName: 'diag-CP-1.log', hosted: true, outcome: 'Sent', actor: 'api:ops' });

    // The charger's side of §5.8: Uploading, HTTP PUT to location + fileName, Uploaded.
    await cp.call('DiagnosticsStatusNotification', { status: 'Uploading' });
    const content = Buffer.from('line 1\nline 2\n'.repeat(1000));
    const res = await fetch(`${request.location}diag-CP-1.log`, { method: 'PUT', body: content, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ fileName: 'diag-CP-1.log', bytes: content.length });
    await cp.call('DiagnosticsStatusNotification', { status: 'Uploaded' });

    const status = await firmware.diagnosticsStatus('CP-1');
    expect(status).toMatchObject({
      chargePointId: 'CP-1',
      status: 'Uploaded',
      request: { fileName: 'diag-CP-1.log', location: request.location, outcome: 'Sent' },
      upload: { fileName: 'diag-CP-1.log', bytes: content.length },
    });
    expect(status.notifications.map((n) => n.status)).toEqual(['Uploading', 'Uploaded']);
    expect((await readFile(status.upload!.path)).equals(content)).toBe(true);
    const audit = await h.em().find(AuditLogSchema, { action: 'GetDiagnostics' });
    expect(audit).toMatchObject([{ actor: 'api:ops', chargePoint: 'CP-1', outcome: 'ok' }]);
  });

  it('upload variants: to the location itself, multipart POST, unsafe names; bad tokens 404; too large 413', async () => {
    const { h, cp, firmware } = await setUp(db);
    cp.handle('GetDiagnostics', () => ({}));
    const { location } = await firmware.requestDiagnostics('CP-1');

    // Raw body to the location itself: a generated name.
    const raw = await fetch(location, { method: 'POST', body: 'abc' });
    expect(raw.status).toBe(201);
    expect(((await raw.json()) as { fileName: string }).fileName).toMatch(/^diagnostics-.*\.bin$/);

    // multipart/form-data, as `curl -F file=@diag.zip` sends it.
    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob([Buffer.from('zip-bytes')]), 'diag.zip');
    const multipart = await fetch(location, { method: 'POST', body: form });
    expect(multipart.status).toBe(201);
    expect(await multipart.json()).toEqual({ fileName: 'diag.zip', bytes: 9 });

    // A traversal attempt stays inside the location's folder.
    const evil = await fetch(`${location}..%2F..%2Fescape.txt`, { method: 'PUT', body: 'x' });
    expect(evil.status).toBe(201);
    expect(((await evil.json()) as { fileName: string }).fileName).toBe('escape.txt');

    const token = location.split('/').at(-2)!;
    const base = `${h.server.url}/ocpp-files/diagnostics`;
    expect((await fetch(`${base}/CP-1/${'0'.repeat(32)}/x.log`, { method: 'PUT', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/CP-2/${token}/x.log`, { method: 'PUT', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/CP-1/not-a-token/x.log`, { method: 'PUT', body: 'x' })).status).toBe(404);

    firmware.configure({ maxUploadBytes: 10 });
    expect((await fetch(`${location}big.log`, { method: 'PUT', body: 'x'.repeat(11) })).status).toBe(413);
    firmware.configure({ maxUploadBytes: 100 * 1024 * 1024 });

    const status = await firmware.diagnosticsStatus('CP-1');
    expect(status.request?.fileName).toBeNull(); // the charger said it has nothing; it uploaded anyway
    const folder = status.upload!.path.slice(0, status.upload!.path.lastIndexOf('/'));
    const files = (await readdir(folder)).filter((f) => !f.startsWith('.')).sort();
    expect(files).toEqual(['diag.zip', expect.stringMatching(/^diagnostics-.*\.bin$/), 'escape.txt']);
    expect(await readFile(join(folder, 'diag.zip'), 'utf8')).toBe('zip-bytes');
  });

  it('a location expires, and an unsent GetDiagnostics leaves no location behind', async () => {
    const { h, cp, firmware, filesDir } = await setUp(db);
    cp.handle('GetDiagnostics', () => ({ fileName: 'd.log' }));
    firmware.configure({ diagnosticsUploadTtlMs: 0 });
    const { location } = await firmware.requestDiagnostics('CP-1');
    expect((await fetch(`${location}d.log`, { method: 'PUT', body: 'x' })).status).toBe(404);

    await expect(firmware.requestDiagnostics('CP-2')).rejects.toMatchObject({ code: CsmsErrorCode.CHARGE_POINT_OFFLINE });
    const cp2Folder = join(filesDir, 'diagnostics', 'CP-2');
    expect(await readdir(cp2Folder).catch(() => [])).toEqual([]);
    expect((await firmware.diagnosticsStatus('CP-2')).request).toMatchObject({ outcome: CsmsErrorCode.CHARGE_POINT_OFFLINE });
    await expect(firmware.diagnosticsStatus('NOPE')).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND });
    await expect(firmware.requestDiagnostics('CP-1', { startTime: 'yesterday' })).rejects.toMatchObject({ code: CsmsErrorCode.INPUT_INVALID });
    void h;
  });

  it('UpdateFirmware: the charge point downloads the file over HTTP and its notifications are tracked', async () => {
    const { h, cp, firmware, filesDir } = await setUp(db);
    const image = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const file = await firmware.addFirmwareFile(image, 'fw-1.2.0.bin');
    expect(file).toMatchObject({ fileName: 'fw-1.2.0.bin', bytes: 5000 });
    expect(file.path.startsWith(join(filesDir, 'firmware', file.id))).toBe(true);
    expect(await firmware.listFirmwareFiles()).toEqual([file]);

    const received: Array<{ location: string; retrieveDate: string; retries?: number }> = [];
    cp.handle('UpdateFirmware', (params) => {
      received.push(params);
      return {};
    });
    const retrieveDate = new Date(Date.now() + 60_000);
    const request = await firmware.updateFirmware('CP-1', { fileId: file.id, retrieveDate, retries: 3, actor: 'api:ops' });
    expect(received).toEqual([{ location: `${h.server.url}/ocpp-files/firmware/${file.id}/fw-1.2.0.bin`, retrieveDate: retrieveDate.toISOString(), retries: 3 }]);
    expect(request).toMatchObject({ location: received[0]!.location, fileId: file.id, fileName: 'fw-1.2.0.bin', outcome: 'Sent' });

    // The charger's side of §5.19.
    await cp.call('FirmwareStatusNotification', { status: 'Downloading' });
    const download = await fetch(received[0]!.location);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(image)).toBe(true);
    const part = await fetch(received[0]!.location, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/5000');
    expect(Buffer.from(await part.arrayBuffer()).equals(image.subarray(100, 200))).toBe(true);
    for (const status of ['Downloaded', 'Installing', 'Installed'] as const) await cp.call('FirmwareStatusNotification', { status });

    const tracked = await firmware.firmwareStatus('CP-1');
    expect(tracked).toMatchObject({ chargePointId: 'CP-1', status: 'Installed', firmwareVersion: '1.0.0', request: { fileId: file.id, retries: 3, actor: 'api:ops' } });
    expect(tracked.notifications.map((n) => n.status)).toEqual(['Downloading', 'Downloaded', 'Installing', 'Installed']);

    expect((await fetch(`${h.server.url}/ocpp-files/firmware/${'0'.repeat(32)}/fw-1.2.0.bin`)).status).toBe(404);
    expect((await fetch(`${h.server.url}/ocpp-files/firmware/${file.id}/other.bin`)).status).toBe(404);
    expect((await fetch(`${h.server.url}/ocpp-files/firmware/../../etc/passwd`)).status).toBe(404);
  });

  it('firmware files: from a path, by name, custom locations, removal, errors', async () => {
    const { h, cp, firmware, filesDir } = await setUp(db, { publicUrl: 'https://csms.example.id/' });
    const source = join(filesDir, 'source.bin');
    await writeFile(source, 'image-v2');
    const fromPath = await firmware.addFirmwareFile(source);
    expect(fromPath).toMatchObject({ fileName: 'source.bin', bytes: 8 });
    expect(firmware.firmwareUrl(fromPath)).toBe(`https://csms.example.id/ocpp-files/firmware/${fromPath.id}/source.bin`);

    const locations: string[] = [];
    cp.handle('UpdateFirmware', ({ location }: { location: string }) => {
      locations.push(location);
      return {};
    });
    await firmware.updateFirmware('CP-1', { fileName: 'source.bin' });
    await firmware.updateFirmware('CP-1', { location: 'ftp://files.example.id/fw.bin' });
    expect(locations).toEqual([firmware.firmwareUrl(fromPath), 'ftp://files.example.id/fw.bin']);
    expect((await firmware.firmwareStatus('CP-1')).request).toMatchObject({ location: 'ftp://files.example.id/fw.bin', fileId: null });

    await expect(firmware.updateFirmware('CP-1', { fileName: 'missing.bin' })).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND });
    await expect(firmware.updateFirmware('CP-1', {})).rejects.toMatchObject({ code: CsmsErrorCode.INPUT_INVALID });
    await expect(firmware.addFirmwareFile(Buffer.from('x'), '..')).rejects.toMatchObject({ code: CsmsErrorCode.INPUT_INVALID });
    await expect(firmware.addFirmwareFile(join(filesDir, 'nope.bin'))).rejects.toMatchObject({ code: CsmsErrorCode.INPUT_INVALID });
    await expect(firmware.updateFirmware('CP-2', { fileId: fromPath.id })).rejects.toMatchObject({ code: CsmsErrorCode.CHARGE_POINT_OFFLINE });
    expect((await firmware.firmwareStatus('CP-2')).request).toMatchObject({ outcome: CsmsErrorCode.CHARGE_POINT_OFFLINE });

    expect(await firmware.removeFirmwareFile(fromPath.id)).toBe(true);
    expect(await firmware.removeFirmwareFile(fromPath.id)).toBe(false);
    expect(await firmware.listFirmwareFiles()).toEqual([]);
    // The public URL is for chargers; locally the route is still served by this server.
    expect((await fetch(`${h.server.url}/ocpp-files/firmware/${fromPath.id}/source.bin`)).status).toBe(404);
  });
});
