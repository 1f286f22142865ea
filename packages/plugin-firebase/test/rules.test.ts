/**
 * database.rules.json against firebase-server (rules evaluated by targaryen), with the firebase web
 * SDK (v8, the one firebase-server pins) as an unauthenticated driver. This instance has only the
 * rules and seeded data: firebase-server treats the Admin SDK as `auth == null` too, so the mirror
 * is tested on its own instance with open rules.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firebase8, startFirebaseServer, type TestFirebaseServer } from './helpers/firebase-server.js';

const rules = JSON.parse(readFileSync(new URL('../database.rules.json', import.meta.url), 'utf8')) as { rules: object };

const station = {
  chargePointId: 'CP-1',
  online: true,
  updatedAt: '2026-12-06T09:00:00.000Z',
  connectors: {
    1: {
      chargePointId: 'CP-1',
      connectorId: 1,
      status: 'Charging',
      since: '2026-12-06T08:59:00.000Z',
      session: { transactionId: 7, idTagMasked: 'DEMO••23', startedAt: '2026-12-06T08:59:00.000Z', durationS: 60, energyWh: 120, powerW: 7200, socPercent: null, costIdr: 300, updatedAt: '2026-12-06T09:00:00.000Z' },
    },
  },
};
// What must never be readable: anything outside /v1/stations/<station>.
const seeded = {
  v1: {
    stations: { 'CP-1': station, 'CP-2': { chargePointId: 'CP-2', online: false } },
    sessions: { 7: { idTag: 'DEMO-123', energyWh: 120 } },
    idTags: { 'DEMO-123': { owner: 'Budi' } },
  },
  private: { secret: 'x' },
};

let server: TestFirebaseServer;
let app: any;
let db: any;

beforeAll(async () => {
  server = await startFirebaseServer({ rules, data: seeded });
  const firebase = firebase8();
  app = firebase.initializeApp({ databaseURL: server.databaseURL }, `driver-${Date.now()}`);
  db = app.database();
  db.useEmulator('127.0.0.1', server.port);
});

afterAll(async () => {
  await app?.delete();
  await server?.stop();
});

/** Reads once; resolves { ok, value } or { ok: false, code } (permission_denied comes as a cancel). */
function read(path: string): Promise<{ ok: true; value: unknown } | { ok: false; code: string }> {
  return db
    .ref(path)
    .once('value')
    .then(
      (snap: any) => ({ ok: true as const, value: plain(snap.val()) }),
      (err: any) => ({ ok: false as const, code: String(err?.code ?? err?.message ?? err) }),
    );
}

/** RTDB returns objects with integer keys as arrays (holes for missing keys) and drops nulls: undo that for comparing. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return Object.fromEntries(v.flatMap((x, i) => (x === undefined || x === null ? [] : [[String(i), plain(x)]])));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === null || x === undefined ? [] : [[k, plain(x)]])));
  return v;
}

function write(op: () => Promise<unknown>): Promise<{ ok: true } | { ok: false; code: string }> {
  return op().then(
    () => ({ ok: true as const }),
    (err: any) => ({ ok: false as const, code: String(err?.code ?? err?.message ?? err) }),
  );
}

describe('database.rules.json (unauthenticated driver)', () => {
  it('reads the live state of one station', async () => {
    const r = await read('/v1/stations/CP-1');
    expect(r).toEqual({ ok: true, value: plain(station) });
    const c = await read('/v1/stations/CP-1/connectors/1/session/powerW');
    expect(c).toEqual({ ok: true, value: 7200 });
    expect(await read('/v1/stations/CP-2/online')).toEqual({ ok: true, value: false });
  });

  it.each(['/', '/v1', '/v1/stations', '/v1/sessions', '/v1/sessions/7', '/v1/idTags', '/v1/idTags/DEMO-123', '/private', '/private/secret'])(
    'may not read %s',
    async (path) => {
      const r = await read(path);
      expect(r.ok).toBe(false);
      expect((r as { code: string }).code).toMatch(/permission.denied/i);
    },
  );

  it.each([
    ['set a connector status', () => db.ref('/v1/stations/CP-1/connectors/1/status').set('Available')],
    ['set a whole station', () => db.ref('/v1/stations/CP-1').set({ online: false })],
    ['update a station', () => db.ref('/v1/stations/CP-1').update({ online: false })],
    ['remove a station', () => db.ref('/v1/stations/CP-1').remove()],
    ['create a station', () => db.ref('/v1/stations/CP-9').set({ online: true })],
    ['write the root', () => db.ref('/').set({ hacked: true })],
    ['push into sessions', () => db.ref('/v1/sessions').push({ idTag: 'X' })],
    ['write an idTag', () => db.ref('/v1/idTags/NEW').set({ owner: 'me' })],
  ])('may not %s', async (_what, op) => {
    const r = await write(op);
    expect(r.ok).toBe(false);
    expect((r as { code: string }).code).toMatch(/permission.denied/i);
  });

  it('left the data as it was', async () => {
    expect(plain(await server.value())).toEqual(plain(seeded));
  });
});
