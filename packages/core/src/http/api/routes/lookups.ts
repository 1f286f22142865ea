import type { EntityManager } from '@mikro-orm/core';
import { CsmsError, CsmsErrorCode } from '../../../kernel/errors.js';
import { ChargePointSchema, type ChargePoint } from '../../../persistence/entities/index.js';

/**
 * Exact lookups shared by the routes. Charge point ids are case-sensitive; MariaDB's collation
 * would match "cp-1" to "CP-1", SQLite would not — checking the returned id makes both answer alike.
 */
export async function findChargePoint(em: EntityManager, id: string): Promise<ChargePoint | null> {
  const cp = await em.findOne(ChargePointSchema, { id });
  return cp && cp.id === id ? cp : null;
}

export async function requireChargePoint(em: EntityManager, id: string): Promise<ChargePoint> {
  const cp = await findChargePoint(em, id);
  if (!cp) throw notFound(`no charge point "${id}" is registered`);
  return cp;
}

export function notFound(message: string): CsmsError {
  return new CsmsError(CsmsErrorCode.NOT_FOUND, message);
}

export function invalid(field: string, problem: string, message?: string): CsmsError {
  return new CsmsError(CsmsErrorCode.INPUT_INVALID, message ?? `invalid body: ${field} ${problem}`, { details: { fields: { [field]: problem } } });
}

export interface PageQuery {
  limit: number;
  offset: number;
}

export function pageOf<T>(items: T[], total: number, q: PageQuery) {
  return { items, total, limit: q.limit, offset: q.offset };
}

/** `{ $gte, $lt }` for optional from/to query values, or undefined. */
export function timeRange(q: { from?: string; to?: string }): { $gte?: Date; $lt?: Date } | undefined {
  if (q.from === undefined && q.to === undefined) return undefined;
  return { ...(q.from !== undefined ? { $gte: new Date(q.from) } : {}), ...(q.to !== undefined ? { $lt: new Date(q.to) } : {}) };
}
