import { JsonFileStore } from '../storage/json-file-store.js';
import { isValidStatus, type IdTagInfo } from '../ocpp/ocpp-types.js';

interface CacheEntry {
  idTagInfo: IdTagInfo;
  /** Last update (ms), for oldest-first eviction. */
  updatedAt: number;
}

/**
 * The authorization cache (S16 §3.5.2): the latest IdTagInfo seen in Authorize, StartTransaction
 * and StopTransaction answers, valid and invalid alike, persisted. When full it evicts invalid or
 * expired entries first, then the oldest. Entries whose expiryDate passed read as Expired.
 */
export class AuthorizationCache {
  readonly #file: JsonFileStore<Record<string, CacheEntry>>;
  readonly #entries: Map<string, CacheEntry>;
  readonly #maxEntries: () => number;
  readonly #now: () => number;

  constructor(deps: { file: string; maxEntries: () => number; now: () => number }) {
    this.#file = new JsonFileStore(deps.file, () => ({}));
    this.#entries = new Map(Object.entries(this.#file.read()));
    this.#maxEntries = deps.maxEntries;
    this.#now = deps.now;
  }

  get(idTag: string): IdTagInfo | undefined {
    const entry = this.#entries.get(idTag);
    if (!entry) return undefined;
    const info = entry.idTagInfo;
    if (info.status === 'Accepted' && info.expiryDate && Date.parse(info.expiryDate) <= this.#now()) {
      return { ...info, status: 'Expired' };
    }
    return info;
  }

  get size(): number {
    return this.#entries.size;
  }

  put(idTag: string, idTagInfo: IdTagInfo): void {
    this.#entries.delete(idTag);
    this.#entries.set(idTag, { idTagInfo, updatedAt: this.#now() });
    const max = Math.max(1, this.#maxEntries());
    while (this.#entries.size > max) this.#evictOne();
    this.#save();
  }

  clear(): void {
    this.#entries.clear();
    this.#save();
  }

  #evictOne(): void {
    const now = this.#now();
    let victim: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [tag, e] of this.#entries) {
      if (!isValidStatus(e.idTagInfo, now)) {
        victim = tag;
        break;
      }
      if (e.updatedAt < oldest) {
        oldest = e.updatedAt;
        victim = tag;
      }
    }
    if (victim !== undefined) this.#entries.delete(victim);
  }

  #save(): void {
    this.#file.write(Object.fromEntries(this.#entries));
  }
}
