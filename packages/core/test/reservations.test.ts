/**
 * Reservations end to end (OCPP-NOTES §3 TC_046–TC_053): ReserveNow / CancelReservation answered
 * by a fake charge point over a real websocket, use by StartTransaction, expiry, connector 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/clock.js';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema, ReservationSchema, TransactionSchema } from '../src/persistence/entities/index.js';
import type { FakeChargePoint } from '../src/testing/index.js';
import { closeRulesHarnesses, startRules, type RulesHarness } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

const inMinutes = (m: number, from = Date.now()) => new Date(from + m * 60_000);

/** Scripts ReserveNow / CancelReservation answers and records every request the charge point received. */
function script(cp: FakeChargePoint, answers: { reserve?: string; cancel?: string } = {}) {
  const received: { action: string; params: Record<string, unknown> }[] = [];
  cp.handle('ReserveNow', (params) => {
    received.push({ action: 'ReserveNow', params });
    return { status: answers.reserve ?? 'Accepted' };
  });
  cp.handle('CancelReservation', (params) => {
    received.push({ action: 'CancelReservation', params });
    return { status: answers.cancel ?? 'Accepted' };
  });
  return received;
}

async function row(h: RulesHarness, id: number) {
  return h.em().findOneOrFail(ReservationSchema, { id });
}

/** Polls (bounded) until the reservation has `status`; returns its last status either way. */
async function waitForStatus(h: RulesHarness, id: number, status: string, attempts = 150): Promise<string> {
  let last = '';
  for (let i = 0; i < attempts; i++) {
    last = (await row(h, id)).status;
    if (last === status) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

describe.each(testDatabases())('reservations on $name', (db) => {
  it('TC_046: an Accepted reservation is used by the StartTransaction that carries its id', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: { status: 'Accepted', parentIdTag: 'FLEET' } } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const received = script(cp);
    const reservations = h.server.csms.services.get('reservations');
    const expiryDate = inMinutes(30);

    const reservation = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate, actor: 'api:ops' });
    expect(reservation).toMatchObject({ chargePoint: 'CP-1', connectorId: 1, idTag: 'ALICE', parentIdTag: 'FLEET', status: 'Accepted', transactionId: null });
    expect(reservation.expiryDate).toEqual(expiryDate);
    // The parent travels with the reservation so the charger also admits the group (TC_053).
    expect(received).toEqual([
      { action: 'ReserveNow', params: { connectorId: 1, expiryDate: expiryDate.toISOString(), idTag: 'ALICE', parentIdTag: 'FLEET', reservationId: reservation.id } },
    ]);

    const start = await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 0, reservationId: reservation.id });
    expect(start.idTagInfo.status).toBe('Accepted');
    expect(await row(h, reservation.id)).toMatchObject({ status: 'Used', transactionId: start.transactionId });
    expect(await h.em().findOneOrFail(TransactionSchema, { id: start.transactionId })).toMatchObject({ reservationId: reservation.id, flags: [] });
    const audit = await h.em().find(AuditLogSchema, { action: 'ReserveNow' });
    expect(audit.map((a) => [a.actor, a.chargePoint, a.outcome])).toEqual([['api:ops', 'CP-1', 'accepted']]);
  });

  it('TC_053: the reserved connector used by another idTag of the same parent (the charger matched parentIdTag)', async () => {
    const h = await startRules(db, {
      chargePoints: ['CP-1'],
      idTags: { ALICE: { status: 'Accepted', parentIdTag: 'FLEET' }, BOB: { status: 'Accepted', parentIdTag: 'FLEET' } },
    });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const received = script(cp);
    const reservation = await h.server.csms.services.get('reservations').reserve({ chargePointId: 'CP-1', connectorId: 2, idTag: 'ALICE', expiryDate: inMinutes(30) });
    expect(received[0]?.params).toMatchObject({ idTag: 'ALICE', parentIdTag: 'FLEET' });

    const start = await cp.startTransaction({ connectorId: 2, idTag: 'BOB', meterStart: 0, reservationId: reservation.id });
    expect(start.idTagInfo).toEqual({ status: 'Accepted', parentIdTag: 'FLEET' });
    expect(await row(h, reservation.id)).toMatchObject({ status: 'Used', transactionId: start.transactionId });
  });

  it('TC_048_1..4: Faulted, Occupied, Unavailable and Rejected are stored as the reservation status and returned', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const reservations = h.server.csms.services.get('reservations');
    const outcomes: [string, string][] = [];
    for (const answer of ['Faulted', 'Occupied', 'Unavailable', 'Rejected']) {
      script(cp, { reserve: answer });
      const r = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'NOBODY', expiryDate: inMinutes(10) });
      outcomes.push([answer, (await row(h, r.id)).status]);
      expect(r.status).toBe(answer);
    }
    expect(outcomes).toEqual([
      ['Faulted', 'Faulted'],
      ['Occupied', 'Occupied'],
      ['Unavailable', 'Unavailable'],
      ['Rejected', 'Rejected'],
    ]);
    // Unknown idTag: no parent, none sent.
    expect((await reservations.list({ chargePointId: 'CP-1' })).every((r) => r.parentIdTag === null)).toBe(true);
    // A refused reservation cannot be cancelled.
    const refused = (await reservations.list({ status: 'Rejected' }))[0]!;
    await expect(reservations.cancel(refused.id, 'api:ops')).rejects.toMatchObject({ code: CsmsErrorCode.CONFLICT });
  });

  it('TC_049: a reservation of the whole charge point (connector 0) is used by a start on any connector', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const received = script(cp);
    const reservation = await h.server.csms.services.get('reservations').reserve({ chargePointId: 'CP-1', connectorId: 0, idTag: 'ALICE', expiryDate: inMinutes(30) });
    expect(received[0]?.params).toMatchObject({ connectorId: 0, reservationId: reservation.id });
    expect(reservation).toMatchObject({ connectorId: 0, status: 'Accepted' });

    const start = await cp.startTransaction({ connectorId: 2, idTag: 'ALICE', meterStart: 0, reservationId: reservation.id });
    expect(await row(h, reservation.id)).toMatchObject({ status: 'Used', transactionId: start.transactionId });
  });

  it('TC_051 / TC_052: cancel Accepted → Cancelled; cancel Rejected → unchanged; unknown, other charge point, already used → clear errors', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'], idTags: { ALICE: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const reservations = h.server.csms.services.get('reservations');
    let received = script(cp, { cancel: 'Accepted' });
    const first = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(30) });

    const cancelled = await reservations.cancel(first.id, 'api:ops', { chargePointId: 'CP-1' });
    expect(cancelled).toMatchObject({ status: 'Accepted', reservation: { id: first.id, status: 'Cancelled' } });
    expect(received.at(-1)).toEqual({ action: 'CancelReservation', params: { reservationId: first.id } });
    await expect(reservations.cancel(first.id, 'api:ops')).rejects.toMatchObject({ code: CsmsErrorCode.CONFLICT, message: expect.stringContaining('is Cancelled') });

    received = script(cp, { cancel: 'Rejected' });
    const second = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(30) });
    expect(await reservations.cancel(second.id, 'api:ops')).toMatchObject({ status: 'Rejected', reservation: { id: second.id, status: 'Accepted' } });
    expect(await row(h, second.id)).toMatchObject({ status: 'Accepted' });

    await expect(reservations.cancel(second.id, 'api:ops', { chargePointId: 'CP-2' })).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND });
    await expect(reservations.cancel(999_999, 'api:ops')).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND, message: expect.stringContaining('reservation 999999 not found') });

    await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 0, reservationId: second.id });
    await expect(reservations.cancel(second.id, 'api:ops')).rejects.toMatchObject({ code: CsmsErrorCode.CONFLICT, message: expect.stringContaining('is Used') });
    expect(received.filter((r) => r.action === 'CancelReservation')).toHaveLength(1);

    // Offline: the command's error, the reservation unchanged.
    const third = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 2, idTag: 'ALICE', expiryDate: inMinutes(30) });
    await cp.close();
    // "Offline" means the server has seen the close; before that a command is sent and its
    // connection lost (CONNECTION_LOST), which is a different case.
    for (let i = 0; i < 200 && h.server.csms.sessions.get('CP-1'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(h.server.csms.sessions.get('CP-1')).toBeUndefined();
    await expect(reservations.cancel(third.id, 'api:ops')).rejects.toMatchObject({ code: CsmsErrorCode.CHARGE_POINT_OFFLINE });
    expect(await row(h, third.id)).toMatchObject({ status: 'Accepted' });
  });

  it('TC_047: expiry with an injected clock and expireNow(); nothing is sent to the charge point', async () => {
    let now = new Date();
    const clock: Clock = { now: () => now };
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' }, clock });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const received = script(cp);
    const reservations = h.server.csms.services.get('reservations');
    const soon = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(10, now.getTime()) });
    const later = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 2, idTag: 'ALICE', expiryDate: inMinutes(60, now.getTime()) });
    script(cp, { reserve: 'Occupied' });
    const refused = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 3, idTag: 'ALICE', expiryDate: inMinutes(5, now.getTime()) });

    expect(await reservations.expireNow()).toEqual([]);
    now = inMinutes(11, now.getTime());
    const expired = await reservations.expireNow();
    expect(expired.map((r) => [r.id, r.status])).toEqual([[soon.id, 'Expired']]);
    expect((await row(h, soon.id)).status).toBe('Expired');
    expect((await row(h, later.id)).status).toBe('Accepted');
    expect((await row(h, refused.id)).status).toBe('Occupied');
    expect(received.map((r) => r.action)).toEqual(['ReserveNow', 'ReserveNow']);

    // A reservation past its expiry can no longer be cancelled.
    await expect(reservations.cancel(soon.id, 'api:ops')).rejects.toMatchObject({ code: CsmsErrorCode.CONFLICT });
    // expiryDate must be in the future (by the CSMS clock).
    await expect(reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(-1, now.getTime()) })).rejects.toMatchObject({
      code: CsmsErrorCode.INPUT_INVALID,
      details: { fields: { expiryDate: 'must be in the future' } },
    });
  });

  it('TC_047: the expiry timer marks a short reservation Expired, also after a restart (re-armed from the table)', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' } });
    let cp = await h.connect('CP-1');
    await cp.boot();
    script(cp);
    let reservations = h.server.csms.services.get('reservations');
    const short = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: new Date(Date.now() + 1_500) });
    expect(short.status).toBe('Accepted');
    expect(await waitForStatus(h, short.id, 'Expired')).toBe('Expired');

    const afterRestart = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: new Date(Date.now() + 3_000) });
    await h.restart();
    expect((await row(h, afterRestart.id)).status).toBe('Accepted');
    expect(await waitForStatus(h, afterRestart.id, 'Expired')).toBe('Expired');

    // The restarted service still reserves and lists.
    cp = await h.connect('CP-1');
    await cp.boot();
    script(cp);
    reservations = h.server.csms.services.get('reservations');
    await reservations.reserve({ chargePointId: 'CP-1', connectorId: 2, idTag: 'ALICE', expiryDate: inMinutes(30) });
    expect((await reservations.list({ chargePointId: 'CP-1', status: ['Expired', 'Accepted'] })).map((r) => r.status)).toEqual(['Accepted', 'Expired', 'Expired']);
  });

  it('offline or unknown charge point, bad input: clear errors, no reservation row; the offline attempt is audited', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    const reservations = h.server.csms.services.get('reservations');
    await expect(reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(30), actor: 'api:ops' })).rejects.toMatchObject({
      code: CsmsErrorCode.CHARGE_POINT_OFFLINE,
      message: expect.stringContaining('charge point CP-1 is not connected'),
    });
    await expect(reservations.reserve({ chargePointId: 'CP-9', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(30) })).rejects.toMatchObject({
      code: CsmsErrorCode.CHARGE_POINT_UNKNOWN,
    });
    await expect(
      reservations.reserve({ chargePointId: 'CP-1', connectorId: -1, idTag: 'A'.repeat(21), expiryDate: 'tomorrow' }),
    ).rejects.toMatchObject({
      code: CsmsErrorCode.INPUT_INVALID,
      details: {
        fields: {
          connectorId: 'must be a whole number ≥ 0 (0 = the whole charge point)',
          idTag: 'must be 1 to 20 characters',
          expiryDate: 'must be a date (ISO 8601)',
        },
      },
    });
    expect(await h.em().count(ReservationSchema, {})).toBe(0);
    const audit = await h.em().find(AuditLogSchema, {});
    expect(audit.map((a) => [a.actor, a.action, a.chargePoint, a.outcome])).toEqual([['api:ops', 'ReserveNow', 'CP-1', 'offline']]);
  });

  it('no answer (CALLERROR, timeout): the reservation is Failed and the error says so; a Failed one can be cancelled', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], ocpp: { callTimeoutMs: 300 } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const reservations = h.server.csms.services.get('reservations');
    // No handler: the fake charge point answers NotImplemented.
    const error = await reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(30) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: CsmsErrorCode.CALL_ERROR, message: expect.stringMatching(/reservation \d+ marked Failed/), details: expect.objectContaining({ rpcErrorCode: 'NotImplemented' }) });
    const failedId = (error as { details: { reservationId: number } }).details.reservationId;
    expect((await row(h, failedId)).status).toBe('Failed');

    cp.handle('ReserveNow', () => new Promise(() => {}));
    await expect(reservations.reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(30) })).rejects.toMatchObject({
      code: CsmsErrorCode.CALL_TIMEOUT,
    });
    expect((await reservations.list({ status: 'Failed' })).length).toBe(2);

    // After a timeout the charger may hold the reservation: it can be cancelled.
    cp.handle('CancelReservation', () => ({ status: 'Accepted' }));
    expect(await reservations.cancel(failedId, 'api:ops')).toMatchObject({ status: 'Accepted', reservation: { status: 'Cancelled' } });
  });

  it('a StartTransaction that uses the reservation while ReserveNow is still unanswered keeps it Used', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    let transactionId = 0;
    cp.handle('ReserveNow', async (params: { reservationId: number; idTag: string; connectorId: number }) => {
      ({ transactionId } = await cp.startTransaction({ connectorId: params.connectorId, idTag: params.idTag, meterStart: 0, reservationId: params.reservationId }));
      return { status: 'Accepted' };
    });
    const reservation = await h.server.csms.services.get('reservations').reserve({ chargePointId: 'CP-1', connectorId: 1, idTag: 'ALICE', expiryDate: inMinutes(30) });
    expect(reservation).toMatchObject({ status: 'Used', transactionId });
  });

  it('list: filters by charge point and status, newest first, with limit/offset; get is scoped', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'] });
    const reservations = h.server.csms.services.get('reservations');
    for (const id of ['CP-1', 'CP-2']) {
      const cp = await h.connect(id);
      await cp.boot();
      script(cp, { reserve: id === 'CP-1' ? 'Accepted' : 'Occupied' });
    }
    const made = [];
    for (const chargePointId of ['CP-1', 'CP-2', 'CP-1']) made.push(await reservations.reserve({ chargePointId, connectorId: 1, idTag: 'T', expiryDate: inMinutes(30) }));
    expect((await reservations.list()).map((r) => r.id)).toEqual([made[2]!.id, made[1]!.id, made[0]!.id]);
    expect((await reservations.list({ chargePointId: 'CP-1' })).map((r) => r.id)).toEqual([made[2]!.id, made[0]!.id]);
    expect((await reservations.list({ status: 'Occupied' })).map((r) => r.id)).toEqual([made[1]!.id]);
    expect((await reservations.list({ limit: 1, offset: 1 })).map((r) => r.id)).toEqual([made[1]!.id]);
    expect(await reservations.get(made[1]!.id, { chargePointId: 'CP-1' })).toBeNull();
    expect(await reservations.get(made[1]!.id, { chargePointId: 'CP-2' })).toMatchObject({ id: made[1]!.id, status: 'Occupied' });
  });
});
