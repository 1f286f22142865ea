import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsHooks } from '../../hooks.js';
import type { HookRunner } from '../../kernel/hooks.js';
import type { IdTagInfo } from '../../ocpp/v16/messages.js';
import { IdTagSchema } from '../../persistence/entities/index.js';

export interface AuthorizationServiceDeps {
  orm: MikroORM;
  hooks: HookRunner<CsmsHooks>;
  clock: Clock;
}

export type AuthorizationReason = 'Authorize' | 'StartTransaction' | 'StopTransaction';

/**
 * Decides idTags: first the `onAuthorize` plugins, then the IdTag table — unknown → Invalid,
 * Blocked/Expired/Invalid as stored, Accepted past its expiry date → Expired. The parent idTag and
 * expiry date travel in the answer so the charger can group tags and cache them correctly.
 */
export class AuthorizationService {
  readonly #deps: AuthorizationServiceDeps;

  constructor(deps: AuthorizationServiceDeps) {
    this.#deps = deps;
  }

  async authorize(chargePointId: string, idTag: string, reason: AuthorizationReason): Promise<IdTagInfo> {
    const decided = await this.#deps.hooks.decide('onAuthorize', { chargePointId, idTag, reason });
    const info = decided ?? (await this.lookup(idTag));
    // Observers (e.g. the dashboard's event feed) learn the answer, refused cards included.
    this.#deps.hooks.observe('onAuthorizeResult', { chargePointId, idTag, reason, status: info.status, decidedBy: decided ? 'plugin' : 'idTag table' }, chargePointId);
    return info;
  }

  /** The IdTag table's answer alone (no plugins). */
  async lookup(idTag: string): Promise<IdTagInfo> {
    const tag = await this.#find(idTag);
    if (!tag) return { status: 'Invalid' };
    const info: IdTagInfo = { status: tag.status };
    if (tag.parentIdTag) info.parentIdTag = tag.parentIdTag;
    if (tag.expiryDate) {
      info.expiryDate = tag.expiryDate.toISOString();
      if (tag.status === 'Accepted' && tag.expiryDate.getTime() <= this.#deps.clock.now().getTime()) info.status = 'Expired';
    }
    return info;
  }

  /**
   * OCPP 1.6 idTags are case-insensitive. MariaDB's collation already compares that way, SQLite's
   * `=` does not: an exact match first, then LIKE (case-insensitive for ASCII on both) filtered
   * to a true case-insensitive equal.
   */
  async #find(idTag: string) {
    const em = this.#deps.orm.em.fork();
    const exact = await em.findOne(IdTagSchema, { idTag });
    if (exact) return exact;
    // '%' and '_' in a tag only widen the LIKE; the filter below keeps the exact case-insensitive match.
    const similar = await em.find(IdTagSchema, { idTag: { $like: idTag } });
    return similar.find((t) => t.idTag.toLowerCase() === idTag.toLowerCase()) ?? null;
  }
}
