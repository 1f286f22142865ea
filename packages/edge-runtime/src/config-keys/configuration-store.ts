import { CsmsError, CsmsErrorCode } from '@charge-it/core/kernel';
import { JsonFileStore } from '../storage/json-file-store.js';
import type { ConfigKeyDefinition } from './config-key-definitions.js';

export type ChangeConfigurationStatus = 'Accepted' | 'Rejected' | 'RebootRequired' | 'NotSupported';

export interface KeyValue {
  key: string;
  readonly: boolean;
  value?: string;
}

interface StoredConfiguration {
  values: Record<string, string>;
}

/**
 * The OCPP configuration keys: definitions with defaults, initial values from the edge config,
 * and the values the central system changed, persisted (atomic JSON file) so that a change
 * survives a restart. Values are OCPP strings; typed getters parse them.
 */
export class ConfigurationStore {
  readonly #defs = new Map<string, ConfigKeyDefinition>();
  readonly #values = new Map<string, string>();
  readonly #file: JsonFileStore<StoredConfiguration>;
  readonly #listeners: Array<(key: string, value: string) => void> = [];

  constructor(deps: { definitions: ConfigKeyDefinition[]; file: string; initial?: Record<string, string | number | boolean> }) {
    for (const def of deps.definitions) {
      this.#defs.set(def.key, def);
      this.#values.set(def.key, def.defaultValue);
    }
    // Initial values from the edge config act as the device's factory settings; read-only keys
    // may be set here too (the maker decides them), but they must still be valid.
    for (const [key, raw] of Object.entries(deps.initial ?? {})) {
      const def = this.#defs.get(key);
      const value = String(raw);
      if (!def) {
        throw new CsmsError(CsmsErrorCode.CONFIG_INVALID, `ocppConfig: unknown configuration key "${key}"; see docs/runtime.md for the keys`);
      }
      const problem = this.#validate(def, value);
      if (problem) throw new CsmsError(CsmsErrorCode.CONFIG_INVALID, `ocppConfig.${key}: ${problem}`);
      this.#values.set(key, value);
    }
    this.#file = new JsonFileStore<StoredConfiguration>(deps.file, () => ({ values: {} }));
    for (const [key, value] of Object.entries(this.#file.read().values)) {
      const def = this.#defs.get(key);
      if (def && !def.readonly && !this.#validate(def, value)) this.#values.set(key, value);
    }
  }

  onChange(listener: (key: string, value: string) => void): void {
    this.#listeners.push(listener);
  }

  get(key: string): string | undefined {
    return this.#values.get(key);
  }

  int(key: string): number {
    const n = Number.parseInt(this.#values.get(key) ?? '', 10);
    return Number.isFinite(n) ? n : 0;
  }

  bool(key: string): boolean {
    return (this.#values.get(key) ?? '').toLowerCase() === 'true';
  }

  csl(key: string): string[] {
    return (this.#values.get(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** GetConfiguration: all keys when none are asked for; unknown ones listed apart. */
  list(keys?: readonly string[]): { configurationKey: KeyValue[]; unknownKey: string[] } {
    const wanted = keys && keys.length > 0 ? keys : [...this.#defs.keys()];
    const configurationKey: KeyValue[] = [];
    const unknownKey: string[] = [];
    for (const key of wanted) {
      const def = this.#defs.get(key);
      if (!def) unknownKey.push(key);
      else configurationKey.push({ key, readonly: def.readonly, value: this.#values.get(key) ?? '' });
    }
    return { configurationKey, unknownKey };
  }

  /** ChangeConfiguration: validates, persists, then tells the listeners (which apply it live). */
  change(key: string, value: string): ChangeConfigurationStatus {
    const def = this.#defs.get(key);
    if (!def) return 'NotSupported';
    if (def.readonly) return 'Rejected';
    if (this.#validate(def, value)) return 'Rejected';
    const normalised = def.type === 'boolean' ? value.toLowerCase() : def.type === 'csl' ? value.split(',').map((s) => s.trim()).filter(Boolean).join(',') : String(Number.parseInt(value, 10));
    this.#values.set(key, normalised);
    const stored = this.#file.read();
    stored.values[key] = normalised;
    this.#file.write(stored);
    for (const listener of this.#listeners) listener(key, normalised);
    return def.rebootRequired ? 'RebootRequired' : 'Accepted';
  }

  #validate(def: ConfigKeyDefinition, value: string): string | undefined {
    switch (def.type) {
      case 'boolean':
        return /^(true|false)$/i.test(value) ? undefined : `"${value}" is not true or false`;
      case 'integer': {
        if (!/^-?\d+$/.test(value.trim())) return `"${value}" is not an integer`;
        const n = Number.parseInt(value, 10);
        if (def.min !== undefined && n < def.min) return `${n} is below the minimum ${def.min}`;
        return undefined;
      }
      case 'csl': {
        const items = value.split(',').map((s) => s.trim()).filter(Boolean);
        if (def.allowed) {
          const bad = items.find((item) => !def.allowed?.includes(item));
          if (bad) return `"${bad}" is not supported; supported: ${def.allowed.join(', ')}`;
        }
        if (def.maxLengthKey) {
          const max = this.int(def.maxLengthKey);
          if (max > 0 && items.length > max) return `${items.length} items exceed ${def.maxLengthKey}=${max}`;
        }
        return undefined;
      }
    }
  }
}
