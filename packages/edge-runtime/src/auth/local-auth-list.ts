import { JsonFileStore } from '../storage/json-file-store.js';
import type { IdTagInfo } from '../ocpp/ocpp-types.js';

export type UpdateStatus = 'Accepted' | 'Failed' | 'NotSupported' | 'VersionMismatch';

export interface AuthorizationData {
  idTag: string;
  idTagInfo?: IdTagInfo;
}

interface StoredList {
  version: number;
  entries: Record<string, IdTagInfo>;
}

/**
 * The local authorization list (S16 §3.5.3, §5.15): changed only by SendLocalList (Full replaces;
 * Differential adds, updates, or removes entries without idTagInfo, and needs a version above the
 * current one), persisted. Version 0 means empty / never set.
 */
export class LocalAuthList {
  readonly #file: JsonFileStore<StoredList>;
  #list: StoredList;

  constructor(deps: { file: string }) {
    this.#file = new JsonFileStore<StoredList>(deps.file, () => ({ version: 0, entries: {} }));
    this.#list = this.#file.read();
  }

  get version(): number {
    return this.#list.version;
  }

  get size(): number {
    return Object.keys(this.#list.entries).length;
  }

  get(idTag: string): IdTagInfo | undefined {
    return this.#list.entries[idTag];
  }

  update(req: { listVersion: number; updateType: 'Full' | 'Differential'; localAuthorizationList?: AuthorizationData[] }, maxLength: number): UpdateStatus {
    const items = req.localAuthorizationList ?? [];
    if (req.updateType === 'Differential' && req.listVersion <= this.#list.version) return 'VersionMismatch';
    const entries: Record<string, IdTagInfo> = req.updateType === 'Full' ? {} : { ...this.#list.entries };
    for (const item of items) {
      if (item.idTagInfo) entries[item.idTag] = item.idTagInfo;
      else if (req.updateType === 'Differential') delete entries[item.idTag];
      else return 'Failed'; // a Full update must give every entry an idTagInfo
    }
    if (Object.keys(entries).length > maxLength) return 'Failed';
    this.#list = { version: req.listVersion, entries };
    this.#file.write(this.#list);
    return 'Accepted';
  }
}
