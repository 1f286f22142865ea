import type { Logger } from '@charge-it/core/kernel';
import type { ConfigurationStore } from '../config-keys/configuration-store.js';
import { isValidStatus, type IdTagInfo } from '../ocpp/ocpp-types.js';
import type { AuthorizationCache } from './authorization-cache.js';
import type { LocalAuthList } from './local-auth-list.js';

export type AuthorizationSource = 'local-list' | 'cache' | 'central' | 'offline-unknown' | 'offline-refused';

export interface AuthorizationResult {
  info: IdTagInfo;
  source: AuthorizationSource;
  /** True when the CS has not confirmed this id (the StartTransaction.conf re-checks it). */
  provisional: boolean;
}

export interface AuthorizerDeps {
  config: ConfigurationStore;
  cache: AuthorizationCache;
  localList: LocalAuthList;
  log: Logger;
  now(): number;
  /** Online and Accepted, so that Authorize may be sent. */
  canAskCentral(): boolean;
  sendAuthorize(idTag: string): Promise<IdTagInfo>;
}

/**
 * Decides whether an idTag may charge (S16 §3.5, §4.1, §5.15):
 * online — LocalPreAuthorize lets a valid local-list or cache entry start at once, otherwise
 * Authorize is sent; offline — LocalAuthorizeOffline lets the local list and the cache decide
 * (expired and non-Accepted entries are refused), AllowOfflineTxForUnknownId admits unknown ids.
 * Local-list ids never enter the cache.
 */
export class Authorizer {
  readonly #d: AuthorizerDeps;

  constructor(deps: AuthorizerDeps) {
    this.#d = deps;
  }

  #withExpiry(info: IdTagInfo): IdTagInfo {
    if (info.status === 'Accepted' && info.expiryDate && Date.parse(info.expiryDate) <= this.#d.now()) return { ...info, status: 'Expired' };
    return info;
  }

  /** What the CP knows locally about an id (local list first, then cache). */
  known(idTag: string): IdTagInfo | undefined {
    const listed = this.#d.config.bool('LocalAuthListEnabled') ? this.#d.localList.get(idTag) : undefined;
    if (listed) return this.#withExpiry(listed);
    return this.#d.config.bool('AuthorizationCacheEnabled') ? this.#d.cache.get(idTag) : undefined;
  }

  async authorize(idTag: string): Promise<AuthorizationResult> {
    const { config } = this.#d;
    const now = this.#d.now();
    const listed = config.bool('LocalAuthListEnabled') ? this.#d.localList.get(idTag) : undefined;
    const cached = !listed && config.bool('AuthorizationCacheEnabled') ? this.#d.cache.get(idTag) : undefined;
    const local = listed ? this.#withExpiry(listed) : cached;
    const localSource: AuthorizationSource = listed ? 'local-list' : 'cache';

    if (this.#d.canAskCentral()) {
      if (local && config.bool('LocalPreAuthorize') && isValidStatus(local, now)) {
        return { info: local, source: localSource, provisional: false };
      }
      try {
        const info = await this.#d.sendAuthorize(idTag);
        this.record(idTag, info);
        return { info, source: 'central', provisional: false };
      } catch (err) {
        this.#d.log.warn({ err: String((err as Error)?.message ?? err) }, 'Authorize failed; deciding offline');
      }
    }
    if (local && config.bool('LocalAuthorizeOffline')) {
      return { info: local, source: localSource, provisional: true };
    }
    if (!local && config.bool('AllowOfflineTxForUnknownId')) {
      return { info: { status: 'Accepted' }, source: 'offline-unknown', provisional: true };
    }
    return { info: local ?? { status: 'Invalid' }, source: 'offline-refused', provisional: true };
  }

  /** Records an IdTagInfo from Authorize/Start/Stop .conf in the cache (never for local-list ids). */
  record(idTag: string, info: IdTagInfo): void {
    if (!this.#d.config.bool('AuthorizationCacheEnabled')) return;
    if (this.#d.config.bool('LocalAuthListEnabled') && this.#d.localList.get(idTag)) return;
    this.#d.cache.put(idTag, info);
  }
}
