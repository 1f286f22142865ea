import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { raw } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsHooks } from '../../hooks.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { HookRunner } from '../../kernel/hooks.js';
import type { Logger } from '../../kernel/logger.js';
import { AuditLogSchema, IdTagSchema, type IdTag, type IdTagStatus } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import { parseCsv } from './parse-csv.js';

export const ID_TAG_STATUSES: readonly IdTagStatus[] = ['Accepted', 'Blocked', 'Expired', 'Invalid'];
/** OCPP IdToken: 1–20 printable ASCII characters without spaces. */
export const ID_TAG_PATTERN = /^[!-~]{1,20}$/;
const OWNER_NAME_MAX = 255;

/** What a caller gives to create or change an idTag. */
export interface IdTagInput {
  idTag: string;
  status?: IdTagStatus;
  /** Group idTag (OCPP parentIdTag); null clears it. */
  parentIdTag?: string | null;
  /** After this time an Accepted tag answers Expired; a Date or an ISO-8601 string; null clears it. */
  expiryDate?: string | Date | null;
  ownerName?: string | null;
}

/** An idTag as plain JSON-ready data (ISO dates). */
export interface IdTagView {
  idTag: string;
  status: IdTagStatus;
  parentIdTag: string | null;
  expiryDate: string | null;
  ownerName: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface IdTagListQuery {
  /** Text contained in the idTag or the owner name (case-insensitive). */
  search?: string;
  status?: IdTagStatus | string;
  limit?: number;
  offset?: number;
}

export interface IdTagImportResult {
  created: number;
  updated: number;
  /** Lines not imported (1-based line numbers of the CSV text), with the reason. */
  errors: { line: number; message: string }[];
}

export type IdTagChange = 'created' | 'updated' | 'deleted' | 'imported';

export interface IdTagServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  hooks: HookRunner<CsmsHooks>;
  clock: Clock;
  log: Logger;
}

function iso(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  const d = date instanceof Date ? date : new Date(date);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function idTagViewOf(t: IdTag): IdTagView {
  return {
    idTag: t.idTag,
    status: t.status,
    parentIdTag: t.parentIdTag ?? null,
    expiryDate: iso(t.expiryDate),
    ownerName: t.ownerName ?? null,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

/**
 * OCPP idTags are case-insensitive: an exact match first, then LIKE (case-insensitive for ASCII on
 * both databases) filtered to a true case-insensitive equal — as the authorization service does.
 */
export async function findIdTag(em: EntityManager, idTag: string): Promise<IdTag | null> {
  const exact = await em.findOne(IdTagSchema, { idTag });
  if (exact && exact.idTag.toLowerCase() === idTag.toLowerCase()) return exact;
  // '%' and '_' in a tag only widen the LIKE; the filter keeps the case-insensitive equal.
  const similar = await em.find(IdTagSchema, { idTag: { $like: idTag } });
  return similar.find((t) => t.idTag.toLowerCase() === idTag.toLowerCase()) ?? null;
}

type Problems = Record<string, string>;

function invalidError(problems: Problems, what: string): CsmsError {
  const text = Object.entries(problems)
    .map(([field, problem]) => `${field} ${problem}`)
    .join('; ');
  return new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid ${what}: ${text}`, { details: { fields: problems } });
}

/** Normalised values of the fields present in `input` (undefined = not given). */
interface Checked {
  status?: IdTagStatus;
  parentIdTag?: string | null;
  expiryDate?: Date | null;
  ownerName?: string | null;
}

function checkFields(idTag: string, input: Partial<IdTagInput>, problems: Problems): Checked {
  const out: Checked = {};
  if (input.status !== undefined) {
    if (ID_TAG_STATUSES.includes(input.status)) out.status = input.status;
    else problems.status = `must be one of ${ID_TAG_STATUSES.join(', ')}`;
  }
  if (input.parentIdTag !== undefined) {
    const parent = input.parentIdTag;
    if (parent === null) out.parentIdTag = null;
    else if (typeof parent !== 'string' || !ID_TAG_PATTERN.test(parent)) problems.parentIdTag = 'must be 1–20 printable ASCII characters without spaces';
    else if (parent.toLowerCase() === idTag.toLowerCase()) problems.parentIdTag = 'must differ from the idTag itself';
    else out.parentIdTag = parent;
  }
  if (input.expiryDate !== undefined) {
    const value = input.expiryDate;
    if (value === null) out.expiryDate = null;
    else {
      const date = value instanceof Date ? value : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
      if (!date || Number.isNaN(date.getTime())) problems.expiryDate = 'must be an ISO-8601 date-time, e.g. 2030-01-01T00:00:00Z';
      else out.expiryDate = date;
    }
  }
  if (input.ownerName !== undefined) {
    const name = input.ownerName;
    if (name === null) out.ownerName = null;
    else if (typeof name !== 'string') problems.ownerName = 'must be text';
    else if (name.length > OWNER_NAME_MAX) problems.ownerName = `must be at most ${OWNER_NAME_MAX} characters`;
    else out.ownerName = name;
  }
  return out;
}

function checkIdTag(idTag: unknown, problems: Problems): idTag is string {
  if (typeof idTag !== 'string' || idTag === '') {
    problems.idTag = 'is required';
    return false;
  }
  if (!ID_TAG_PATTERN.test(idTag)) {
    problems.idTag = 'must be 1–20 printable ASCII characters without spaces';
    return false;
  }
  return true;
}

function auditInput(idTag: string, c: Checked) {
  return {
    idTag,
    ...(c.status !== undefined ? { status: c.status } : {}),
    ...(c.parentIdTag !== undefined ? { parentIdTag: c.parentIdTag } : {}),
    ...(c.expiryDate !== undefined ? { expiryDate: iso(c.expiryDate) } : {}),
    ...(c.ownerName !== undefined ? { ownerName: c.ownerName } : {}),
  };
}

const CSV_COLUMNS = ['idTag', 'status', 'parentIdTag', 'expiryDate', 'ownerName'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/**
 * The IdTag table (RFID cards / tokens): the one writer of it. Every change is validated (problems
 * named per field: CsmsError CSMS_ERR_INPUT_INVALID with `details.fields`), written with its audit
 * entry in one database transaction, and then announced with the `onIdTagsChanged` observe hook
 * (the local list feature listens to it and pushes the change to the chargers).
 *
 * idTags are compared case-insensitively (OCPP CiString): `get('card-7')` finds `Card-7`, and
 * creating `CARD-7` next to it is a CONFLICT.
 */
export class IdTagService {
  readonly #deps: IdTagServiceDeps;

  constructor(deps: IdTagServiceDeps) {
    this.#deps = deps;
  }

  /** idTags ordered case-insensitively, with the total matching count. */
  async list(q: IdTagListQuery = {}): Promise<{ items: IdTagView[]; total: number }> {
    const where: Record<string, unknown> = {};
    if (q.status !== undefined) where.status = q.status;
    if (q.search !== undefined && q.search !== '') {
      // Wildcards in the search text are taken literally by removing them: they are not meaningful in tags or names.
      const text = q.search.replace(/[%_\\]/g, '');
      where.$or = [{ idTag: { $like: `%${text}%` } }, { ownerName: { $like: `%${text}%` } }];
    }
    const [rows, total] = await this.#deps.orm.em.fork().findAndCount(IdTagSchema, where, {
      // Case-insensitive order on both databases (MariaDB's collation already sorts so, SQLite's does not).
      orderBy: [{ [raw((alias) => `lower(${alias}.id_tag)`)]: 'asc' }, { idTag: 'asc' }],
      limit: clampLimit(q.limit, 50, 1000),
      offset: Math.max(0, Math.trunc(q.offset ?? 0)),
    });
    return { items: rows.map(idTagViewOf), total };
  }

  /** One idTag (case-insensitive), or null. */
  async get(idTag: string): Promise<IdTagView | null> {
    const tag = await findIdTag(this.#deps.orm.em.fork(), idTag);
    return tag ? idTagViewOf(tag) : null;
  }

  /** Creates an idTag (status Accepted unless given). CONFLICT when it exists (in any letter case). */
  async create(input: IdTagInput, actor: string): Promise<IdTagView> {
    const problems: Problems = {};
    const idTag = input?.idTag;
    const valid = checkIdTag(idTag, problems);
    const checked = checkFields(valid ? idTag : '', input ?? {}, problems);
    if (!valid || Object.keys(problems).length > 0) throw invalidError(problems, 'idTag');
    const at = this.#deps.clock.now();
    await this.#deps.batcher.run(async (em) => {
      const existing = await findIdTag(em, idTag);
      if (existing) {
        throw new CsmsError(CsmsErrorCode.CONFLICT, `idTag "${existing.idTag}" exists already (idTags are case-insensitive); change it with update`, {
          details: { fields: { idTag: 'already exists' } },
        });
      }
      em.create(IdTagSchema, {
        idTag,
        status: checked.status ?? 'Accepted',
        parentIdTag: checked.parentIdTag ?? null,
        expiryDate: checked.expiryDate ?? null,
        ownerName: checked.ownerName ?? null,
      });
      em.create(AuditLogSchema, { at, actor, action: 'CreateIdTag', chargePoint: null, request: auditInput(idTag, checked), result: null, outcome: 'ok' });
    });
    this.#changed('created', [idTag], actor);
    return this.#require(idTag);
  }

  /** Changes the given fields (null clears parent, expiry or owner). NOT_FOUND when unknown. */
  async update(idTag: string, patch: Partial<Omit<IdTagInput, 'idTag'>>, actor: string): Promise<IdTagView> {
    return this.#change(idTag, patch ?? {}, actor, 'UpdateIdTag');
  }

  /** Status Blocked: the tag is refused from now on (its record and history stay). */
  async block(idTag: string, actor: string): Promise<IdTagView> {
    return this.#change(idTag, { status: 'Blocked' }, actor, 'BlockIdTag');
  }

  /** Status Accepted again (after block or an Expired status). */
  async unblock(idTag: string, actor: string): Promise<IdTagView> {
    return this.#change(idTag, { status: 'Accepted' }, actor, 'UnblockIdTag');
  }

  /** Expires the tag at `at` (default now): from then on it answers Expired. */
  async expire(idTag: string, actor: string, at: Date = this.#deps.clock.now()): Promise<IdTagView> {
    return this.#change(idTag, { expiryDate: at }, actor, 'ExpireIdTag');
  }

  /** Sets (or with null clears) the group idTag. */
  async setParent(idTag: string, parentIdTag: string | null, actor: string): Promise<IdTagView> {
    return this.#change(idTag, { parentIdTag }, actor, 'UpdateIdTag');
  }

  /** Sets (or with null clears) the owner's name. */
  async setOwner(idTag: string, ownerName: string | null, actor: string): Promise<IdTagView> {
    return this.#change(idTag, { ownerName }, actor, 'UpdateIdTag');
  }

  /** Deletes the tag (it is then unknown: Invalid). Transactions keep the idTag they started with. */
  async remove(idTag: string, actor: string): Promise<void> {
    const at = this.#deps.clock.now();
    const removed = await this.#deps.batcher.run(async (em) => {
      const tag = await findIdTag(em, idTag);
      if (!tag) throw notFound(idTag);
      em.remove(tag);
      em.create(AuditLogSchema, { at, actor, action: 'DeleteIdTag', chargePoint: null, request: { idTag: tag.idTag }, result: null, outcome: 'ok' });
      return tag.idTag;
    });
    this.#changed('deleted', [removed], actor);
  }

  /**
   * Imports idTags from CSV (RFC 4180, comma separated, UTF-8). An optional header line names the
   * columns (`idTag,status,parentIdTag,expiryDate,ownerName`, any order, idTag required); without
   * it the columns are in that order. A new tag is created (empty status = Accepted); an existing
   * one (case-insensitive) gets the given columns, an empty cell clears parent, expiry or owner.
   * Good lines are imported in one database transaction; each bad line is reported (line number and
   * reason) and skipped. A malformed header or CSV syntax fails the whole import (INPUT_INVALID).
   */
  async importCsv(csv: string, actor: string): Promise<IdTagImportResult> {
    let records: { line: number; cells: string[] }[];
    try {
      records = parseCsv(csv);
    } catch (err) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid CSV: ${(err as Error).message}`, { details: { fields: { csv: (err as Error).message } } });
    }
    let columns: CsvColumn[] = [...CSV_COLUMNS];
    if (records.length > 0 && records[0]!.cells[0]?.trim().toLowerCase() === 'idtag') {
      const header = records.shift()!;
      const names = header.cells.map((c) => c.trim());
      const unknown = names.filter((n) => !CSV_COLUMNS.some((c) => c.toLowerCase() === n.toLowerCase()));
      if (unknown.length > 0) {
        const message = `unknown column(s) ${unknown.join(', ')} in the header (line ${header.line}); known: ${CSV_COLUMNS.join(', ')}`;
        throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid CSV: ${message}`, { details: { fields: { csv: message } } });
      }
      columns = names.map((n) => CSV_COLUMNS.find((c) => c.toLowerCase() === n.toLowerCase())!);
    }
    const errors: IdTagImportResult['errors'] = [];
    const rows: { line: number; idTag: string; checked: Checked; given: Set<CsvColumn> }[] = [];
    const seen = new Map<string, number>();
    for (const { line, cells } of records) {
      if (cells.every((c) => c.trim() === '')) continue;
      if (cells.length > columns.length) {
        errors.push({ line, message: `${cells.length} columns, expected at most ${columns.length} (${columns.join(', ')})` });
        continue;
      }
      const values: Partial<Record<CsvColumn, string>> = {};
      columns.forEach((column, i) => {
        if (i < cells.length) values[column] = cells[i]!.trim();
      });
      const problems: Problems = {};
      const idTag = values.idTag ?? '';
      if (!checkIdTag(idTag, problems)) {
        errors.push({ line, message: `idTag ${problems.idTag}` });
        continue;
      }
      const first = seen.get(idTag.toLowerCase());
      if (first !== undefined) {
        errors.push({ line, message: `idTag ${idTag} appears already on line ${first}` });
        continue;
      }
      const input: Partial<IdTagInput> = {};
      if (values.status !== undefined && values.status !== '') input.status = values.status as IdTagStatus;
      if (values.parentIdTag !== undefined) input.parentIdTag = values.parentIdTag === '' ? null : values.parentIdTag;
      if (values.expiryDate !== undefined) input.expiryDate = values.expiryDate === '' ? null : values.expiryDate;
      if (values.ownerName !== undefined) input.ownerName = values.ownerName === '' ? null : values.ownerName;
      const checked = checkFields(idTag, input, problems);
      if (Object.keys(problems).length > 0) {
        errors.push({ line, message: Object.entries(problems).map(([f, p]) => `${f} ${p}`).join('; ') });
        continue;
      }
      seen.set(idTag.toLowerCase(), line);
      rows.push({ line, idTag, checked, given: new Set(Object.keys(values) as CsvColumn[]) });
    }
    if (rows.length === 0) return { created: 0, updated: 0, errors };

    const at = this.#deps.clock.now();
    const result = await this.#deps.batcher.run(async (em) => {
      const existing = new Map<string, IdTag>();
      for (const tag of await em.find(IdTagSchema, {})) existing.set(tag.idTag.toLowerCase(), tag);
      let created = 0;
      let updated = 0;
      const names: string[] = [];
      for (const row of rows) {
        const tag = existing.get(row.idTag.toLowerCase());
        if (tag) {
          if (row.checked.status !== undefined) tag.status = row.checked.status;
          if (row.checked.parentIdTag !== undefined) tag.parentIdTag = row.checked.parentIdTag;
          if (row.checked.expiryDate !== undefined) tag.expiryDate = row.checked.expiryDate;
          if (row.checked.ownerName !== undefined) tag.ownerName = row.checked.ownerName;
          names.push(tag.idTag);
          updated++;
        } else {
          em.create(IdTagSchema, {
            idTag: row.idTag,
            status: row.checked.status ?? 'Accepted',
            parentIdTag: row.checked.parentIdTag ?? null,
            expiryDate: row.checked.expiryDate ?? null,
            ownerName: row.checked.ownerName ?? null,
          });
          names.push(row.idTag);
          created++;
        }
      }
      em.create(AuditLogSchema, {
        at,
        actor,
        action: 'ImportIdTags',
        chargePoint: null,
        request: { lines: records.length, idTags: names.length <= 100 ? names : [...names.slice(0, 100), `… ${names.length - 100} more`] },
        result: { created, updated, errors: errors.length },
        outcome: errors.length > 0 ? 'partial' : 'ok',
      });
      return { created, updated, names };
    });
    this.#deps.log.info({ actor, created: result.created, updated: result.updated, errors: errors.length }, 'idTags imported');
    this.#changed('imported', result.names, actor);
    return { created: result.created, updated: result.updated, errors };
  }

  /**
   * Seed helper: creates each of `idTags` that does not exist yet (case-insensitive) and leaves
   * existing ones unchanged. Returns the idTags it created. All inputs are validated first.
   */
  async ensure(idTags: readonly IdTagInput[], actor: string): Promise<string[]> {
    const problems: Problems = {};
    const checked = idTags.map((input, i) => {
      const local: Problems = {};
      const ok = checkIdTag(input?.idTag, local);
      const fields = checkFields(ok ? input.idTag : '', input ?? {}, local);
      for (const [f, p] of Object.entries(local)) problems[`${i}.${f}`] = p;
      return { idTag: input?.idTag, fields };
    });
    if (Object.keys(problems).length > 0) throw invalidError(problems, 'idTags');
    const at = this.#deps.clock.now();
    const created = await this.#deps.batcher.run(async (em) => {
      const made: string[] = [];
      const known = new Set<string>();
      for (const { idTag, fields } of checked) {
        if (known.has(idTag.toLowerCase()) || (await findIdTag(em, idTag))) continue;
        known.add(idTag.toLowerCase());
        em.create(IdTagSchema, {
          idTag,
          status: fields.status ?? 'Accepted',
          parentIdTag: fields.parentIdTag ?? null,
          expiryDate: fields.expiryDate ?? null,
          ownerName: fields.ownerName ?? null,
        });
        em.create(AuditLogSchema, { at, actor, action: 'CreateIdTag', chargePoint: null, request: auditInput(idTag, fields), result: null, outcome: 'ok' });
        made.push(idTag);
      }
      return made;
    });
    if (created.length > 0) this.#changed('created', created, actor);
    return created;
  }

  async #change(idTag: string, patch: Partial<Omit<IdTagInput, 'idTag'>>, actor: string, action: string): Promise<IdTagView> {
    const keys = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
    const known = ['status', 'parentIdTag', 'expiryDate', 'ownerName'];
    const problems: Problems = {};
    for (const k of keys) if (!known.includes(k)) problems[k] = 'is not a known field';
    if (keys.length === 0) problems.patch = 'must contain at least one field';
    const checked = checkFields(idTag, patch, problems);
    if (Object.keys(problems).length > 0) throw invalidError(problems, 'idTag change');
    const at = this.#deps.clock.now();
    const name = await this.#deps.batcher.run(async (em) => {
      const tag = await findIdTag(em, idTag);
      if (!tag) throw notFound(idTag);
      if (checked.parentIdTag && checked.parentIdTag.toLowerCase() === tag.idTag.toLowerCase()) {
        throw invalidError({ parentIdTag: 'must differ from the idTag itself' }, 'idTag change');
      }
      if (checked.status !== undefined) tag.status = checked.status;
      if (checked.parentIdTag !== undefined) tag.parentIdTag = checked.parentIdTag;
      if (checked.expiryDate !== undefined) tag.expiryDate = checked.expiryDate;
      if (checked.ownerName !== undefined) tag.ownerName = checked.ownerName;
      em.create(AuditLogSchema, { at, actor, action, chargePoint: null, request: auditInput(tag.idTag, checked), result: null, outcome: 'ok' });
      return tag.idTag;
    });
    this.#changed('updated', [name], actor);
    return this.#require(name);
  }

  async #require(idTag: string): Promise<IdTagView> {
    const view = await this.get(idTag);
    if (!view) throw notFound(idTag);
    return view;
  }

  #changed(change: IdTagChange, idTags: string[], actor: string): void {
    this.#deps.hooks.observe('onIdTagsChanged', { change, idTags: Object.freeze([...idTags]), actor }, 'idTags');
  }
}

function notFound(idTag: string): CsmsError {
  return new CsmsError(CsmsErrorCode.NOT_FOUND, `no idTag "${idTag}"`);
}

function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(max, Math.max(1, Math.trunc(limit)));
}
