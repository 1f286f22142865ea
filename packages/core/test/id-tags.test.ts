/**
 * The idTags domain service (services.get('idTags')): lifecycle with audit entries, validation by
 * field, the onIdTagsChanged hook, the local list pushed to a connected charge point because of a
 * change, CSV import with bad lines reported, and the seed helper.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema, IdTagSchema } from '../src/persistence/entities/index.js';
import { closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(testDatabases())('idTags service on $name', (db) => {
  it('creates, changes, blocks, expires and deletes an idTag, case-insensitively, each change audited and announced', async () => {
    const h = await startRules(db);
    const idTags = h.server.csms.services.get('idTags');

    const created = await idTags.create({ idTag: 'Card-1', ownerName: 'Budi', expiryDate: '2030-01-01T00:00:00Z' }, 'dashboard:ana');
    expect(created).toEqual({
      idTag: 'Card-1',
      status: 'Accepted',
      parentIdTag: null,
      expiryDate: '2030-01-01T00:00:00.000Z',
      ownerName: 'Budi',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await idTags.get('CARD-1')).toMatchObject({ idTag: 'Card-1' });
    await expect(idTags.create({ idTag: 'card-1' }, 'dashboard:ana')).rejects.toMatchObject({
      code: CsmsErrorCode.CONFLICT,
      details: { fields: { idTag: 'already exists' } },
    });

    expect(await idTags.update('card-1', { parentIdTag: 'GROUP-1', ownerName: null }, 'dashboard:ana')).toMatchObject({ parentIdTag: 'GROUP-1', ownerName: null });
    expect(await idTags.setOwner('Card-1', 'Sari', 'dashboard:ana')).toMatchObject({ ownerName: 'Sari' });
    expect(await idTags.setParent('Card-1', null, 'dashboard:ana')).toMatchObject({ parentIdTag: null });
    expect((await idTags.block('Card-1', 'dashboard:ana')).status).toBe('Blocked');
    expect((await idTags.unblock('Card-1', 'dashboard:ana')).status).toBe('Accepted');
    const expiredAt = new Date('2026-01-02T03:04:05.000Z');
    expect((await idTags.expire('Card-1', 'dashboard:ana', expiredAt)).expiryDate).toBe(expiredAt.toISOString());

    await idTags.remove('CARD-1', 'dashboard:ana');
    expect(await idTags.get('Card-1')).toBeNull();
    await expect(idTags.remove('Card-1', 'dashboard:ana')).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND });
    await expect(idTags.block('NOPE', 'dashboard:ana')).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND });
    expect(await h.em().count(IdTagSchema, {})).toBe(0);

    const audit = await h.em().find(AuditLogSchema, {}, { orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual([
      'CreateIdTag',
      'UpdateIdTag',
      'UpdateIdTag',
      'UpdateIdTag',
      'BlockIdTag',
      'UnblockIdTag',
      'ExpireIdTag',
      'DeleteIdTag',
    ]);
    expect(audit.every((a) => a.actor === 'dashboard:ana' && a.outcome === 'ok')).toBe(true);
    expect(audit[0]!.request).toEqual({ idTag: 'Card-1', ownerName: 'Budi', expiryDate: '2030-01-01T00:00:00.000Z' });
    expect(audit[4]!.request).toEqual({ idTag: 'Card-1', status: 'Blocked' });

    await h.server.csms.drain();
    expect(h.recorder.of('onIdTagsChanged').map((e) => [e.change, [...e.idTags], e.actor])).toEqual([
      ['created', ['Card-1'], 'dashboard:ana'],
      ...Array.from({ length: 6 }, () => ['updated', ['Card-1'], 'dashboard:ana']),
      ['deleted', ['Card-1'], 'dashboard:ana'],
    ]);
  });

  it('names every bad field and stores nothing', async () => {
    const h = await startRules(db);
    const idTags = h.server.csms.services.get('idTags');
    const cases: Array<[Parameters<typeof idTags.create>[0], Record<string, string>]> = [
      [{ idTag: '' }, { idTag: 'is required' }],
      [{ idTag: 'far-too-long-for-ocpp-21' }, { idTag: 'must be 1–20 printable ASCII characters without spaces' }],
      [{ idTag: 'has space' }, { idTag: 'must be 1–20 printable ASCII characters without spaces' }],
      [
        { idTag: 'OK-1', status: 'Blocked-ish' as never, parentIdTag: 'ok-1', expiryDate: 'next week', ownerName: 'x'.repeat(256) },
        {
          status: 'must be one of Accepted, Blocked, Expired, Invalid',
          parentIdTag: 'must differ from the idTag itself',
          expiryDate: 'must be an ISO-8601 date-time, e.g. 2030-01-01T00:00:00Z',
          ownerName: 'must be at most 255 characters',
        },
      ],
      [{ idTag: 'OK-2', expiryDate: new Date('invalid') }, { expiryDate: 'must be an ISO-8601 date-time, e.g. 2030-01-01T00:00:00Z' }],
    ];
    for (const [input, fields] of cases) {
      const err = await idTags.create(input, 'test').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(input)).toMatchObject({ code: CsmsErrorCode.INPUT_INVALID, details: { fields } });
      for (const field of Object.keys(fields)) expect((err as Error).message).toContain(field);
    }
    await idTags.create({ idTag: 'OK-3' }, 'test');
    await expect(idTags.update('OK-3', {}, 'test')).rejects.toMatchObject({ code: CsmsErrorCode.INPUT_INVALID, details: { fields: { patch: 'must contain at least one field' } } });
    await expect(idTags.update('OK-3', { stauts: 'Blocked' } as never, 'test')).rejects.toMatchObject({ details: { fields: { stauts: 'is not a known field' } } });
    await expect(idTags.setParent('ok-3', 'OK-3', 'test')).rejects.toMatchObject({ details: { fields: { parentIdTag: 'must differ from the idTag itself' } } });
    expect(await h.em().count(IdTagSchema, {})).toBe(1);
    expect(await h.em().count(AuditLogSchema, {})).toBe(1);
  });

  it('a change reaches a connected charge point as SendLocalList (through onIdTagsChanged, no explicit call)', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    h.server.csms.services.get('localList').configure({ dirtyDelayMs: 10, syncDelayMs: 60_000 });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const sent: Array<{ listVersion: number; updateType: string; localAuthorizationList?: Array<{ idTag: string; idTagInfo?: { status: string } }> }> = [];
    cp.handle('GetConfiguration', () => ({ configurationKey: [] }));
    cp.handle('GetLocalListVersion', () => ({ listVersion: sent.at(-1)?.listVersion ?? 0 }));
    cp.handle('SendLocalList', (request) => {
      sent.push(request);
      return { status: 'Accepted' };
    });
    const idTags = h.server.csms.services.get('idTags');
    await idTags.create({ idTag: 'CARD-9' }, 'test');
    await until(() => sent.some((s) => s.localAuthorizationList?.some((e) => e.idTag === 'CARD-9' && e.idTagInfo?.status === 'Accepted')), 'SendLocalList with CARD-9');
    await h.server.csms.services.get('localList').idle();
    await idTags.block('CARD-9', 'test');
    await until(() => sent.some((s) => s.localAuthorizationList?.some((e) => e.idTag === 'CARD-9' && e.idTagInfo?.status === 'Blocked')), 'SendLocalList with CARD-9 Blocked');
  });

  it('imports CSV: creates and updates good lines in one go, reports each bad line, audits and announces once', async () => {
    const h = await startRules(db, { idTags: { 'OLD-1': 'Accepted' } });
    const idTags = h.server.csms.services.get('idTags');
    const csv = [
      'idTag,ownerName,status,expiryDate,parentIdTag',
      'NEW-1,Budi,,,',
      '"NEW-2","Sari, ""the boss""",Blocked,2030-01-01T00:00:00Z,GROUP-1',
      'old-1,Changed,Blocked,,',
      'bad tag,x,,,',
      'NEW-3,,Sometimes,,',
      'new-1,dup,,,',
      'NEW-4,,,tomorrow,',
      '',
      'NEW-5,a,Accepted,,,extra',
      'NEW-6',
    ].join('\r\n');
    const result = await idTags.importCsv(csv, 'api:ops');
    expect(result).toEqual({
      created: 3,
      updated: 1,
      errors: [
        { line: 5, message: 'idTag must be 1–20 printable ASCII characters without spaces' },
        { line: 6, message: 'status must be one of Accepted, Blocked, Expired, Invalid' },
        { line: 7, message: 'idTag new-1 appears already on line 2' },
        { line: 8, message: 'expiryDate must be an ISO-8601 date-time, e.g. 2030-01-01T00:00:00Z' },
        { line: 10, message: '6 columns, expected at most 5 (idTag, ownerName, status, expiryDate, parentIdTag)' },
      ],
    });
    expect(await idTags.get('NEW-2')).toMatchObject({ ownerName: 'Sari, "the boss"', status: 'Blocked', expiryDate: '2030-01-01T00:00:00.000Z', parentIdTag: 'GROUP-1' });
    expect(await idTags.get('OLD-1')).toMatchObject({ idTag: 'OLD-1', ownerName: 'Changed', status: 'Blocked' });
    expect(await idTags.get('NEW-6')).toMatchObject({ status: 'Accepted', ownerName: null });
    expect(await idTags.get('NEW-4')).toBeNull();
    expect((await idTags.list()).total).toBe(4);

    const audit = await h.em().find(AuditLogSchema, {});
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'ImportIdTags', actor: 'api:ops', outcome: 'partial', result: { created: 3, updated: 1, errors: 5 } });
    await h.server.csms.drain();
    expect(h.recorder.of('onIdTagsChanged').map((e) => [e.change, [...e.idTags].sort()])).toEqual([['imported', ['NEW-1', 'NEW-2', 'NEW-6', 'OLD-1']]]);

    // No header: the default column order. A broken quote fails the whole import, nothing stored.
    expect(await idTags.importCsv('NEW-7,Accepted,,,Dewi\n', 'api:ops')).toEqual({ created: 1, updated: 0, errors: [] });
    expect(await idTags.get('new-7')).toMatchObject({ ownerName: 'Dewi' });
    await expect(idTags.importCsv('NEW-8,"Accepted\n', 'api:ops')).rejects.toMatchObject({ code: CsmsErrorCode.INPUT_INVALID, details: { fields: { csv: expect.stringContaining('unterminated') } } });
    await expect(idTags.importCsv('idTag,colour\nX,red\n', 'api:ops')).rejects.toMatchObject({ details: { fields: { csv: expect.stringContaining('colour') } } });
    expect(await idTags.get('NEW-8')).toBeNull();
  });

  it('lists with search, status and pages; ensure creates only the missing tags', async () => {
    const h = await startRules(db);
    const idTags = h.server.csms.services.get('idTags');
    expect(await idTags.ensure([{ idTag: 'b-2', ownerName: 'Sari' }, { idTag: 'A-1' }, { idTag: 'C-3', status: 'Blocked' }], 'seed')).toEqual(['b-2', 'A-1', 'C-3']);
    expect(await idTags.ensure([{ idTag: 'B-2' }, { idTag: 'D-4' }], 'seed')).toEqual(['D-4']);
    await expect(idTags.ensure([{ idTag: 'ok' }, { idTag: 'bad tag' }], 'seed')).rejects.toMatchObject({ details: { fields: { '1.idTag': expect.any(String) } } });
    expect(await idTags.get('b-2')).toMatchObject({ ownerName: 'Sari' });
    const all = await idTags.list();
    expect(all.total).toBe(4);
    expect(all.items.map((t) => t.idTag)).toEqual(['A-1', 'b-2', 'C-3', 'D-4']);
    expect((await idTags.list({ status: 'Blocked' })).items.map((t) => t.idTag)).toEqual(['C-3']);
    expect((await idTags.list({ search: 'sar' })).items.map((t) => t.idTag)).toEqual(['b-2']);
    expect(await idTags.list({ limit: 2, offset: 1 })).toMatchObject({ total: 4, items: [{ idTag: 'b-2' }, { idTag: 'C-3' }] });
    await h.server.csms.drain();
    expect(h.recorder.of('onIdTagsChanged').map((e) => [...e.idTags])).toEqual([['b-2', 'A-1', 'C-3'], ['D-4']]);
  });
});
