import { createHash } from 'node:crypto';
import { JsonFileStore } from '../storage/json-file-store.js';

/** What `credentials.json` holds. Keys are the Basic-auth passwords (AuthorizationKey values). */
interface StoredCredentials {
  /** The newest key (set by ChangeConfiguration AuthorizationKey). */
  key: string | null;
  /**
   * The key used before the newest one, kept until the newest one was accepted at a handshake:
   * if the central system refuses the new key (it never stored it), the charge point falls back to
   * this one, so a half-finished rotation never locks it out. Null once the new key worked.
   */
  previousKey: string | null;
  /** SHA-256 of the edge config's `password` when the key was rotated: a new config password wins. */
  configKeyHash: string | null;
}

const hash = (s: string | undefined): string | null => (s === undefined ? null : createHash('sha256').update(s).digest('hex'));

/** AuthorizationKey limits (security whitepaper: at least 16 bytes; at most 40 characters, 20 bytes as hex). */
export function authorizationKeyProblem(value: string): string | undefined {
  if (value.length < 16 || value.length > 40) return `must be 16–40 characters, got ${value.length}`;
  if (!/^[\x21-\x7e]+$/.test(value)) return 'must be printable ASCII without spaces';
  return undefined;
}

/**
 * The charge point's Basic-auth key (security whitepaper A01), persisted atomically in
 * `credentials.json` (temp file, fsync, rename): after a power cut the file holds the old or the
 * new key pair, never a torn one. The edge config's `password` is the factory key; a rotated key
 * replaces it until the config's password itself changes (re-provisioning by hand).
 */
export class CredentialStore {
  readonly #file: JsonFileStore<StoredCredentials>;
  readonly #configKey: string | undefined;
  #state: StoredCredentials;

  constructor(deps: { file: string; configKey: string | undefined }) {
    this.#configKey = deps.configKey;
    this.#file = new JsonFileStore<StoredCredentials>(deps.file, () => ({ key: null, previousKey: null, configKeyHash: null }));
    const stored = this.#file.read();
    // A rotated key only counts while the config still holds the password it was rotated from.
    this.#state = stored.key !== null && stored.configKeyHash === hash(deps.configKey) ? stored : { key: null, previousKey: null, configKeyHash: null };
  }

  /** The key in use (the newest), or undefined when the charge point sends no password. */
  get current(): string | undefined {
    return this.#state.key ?? this.#configKey;
  }

  /** True while a rotated key has not yet been accepted at a handshake (the old one is kept). */
  get rotationPending(): boolean {
    return this.#state.key !== null && this.#state.previousKey !== null;
  }

  /**
   * The passwords to try at a handshake, in order: the newest key, then (while the rotation is
   * unconfirmed) the previous one. `undefined` stands for "no password".
   */
  candidates(): Array<string | undefined> {
    const out: Array<string | undefined> = [this.current];
    if (this.rotationPending && this.#state.previousKey !== this.current) out.push(this.#state.previousKey ?? undefined);
    return out;
  }

  /** ChangeConfiguration AuthorizationKey accepted: the new key is on disk before this returns. */
  rotate(newKey: string): void {
    const problem = authorizationKeyProblem(newKey);
    if (problem) throw new Error(`AuthorizationKey ${problem}`);
    // While a rotation is unconfirmed, the key known to work is still the previous one: keep it.
    const fallback = this.rotationPending ? this.#state.previousKey : (this.current ?? null);
    this.#save({ key: newKey, previousKey: fallback === newKey ? null : fallback, configKeyHash: hash(this.#configKey) });
  }

  /** A handshake succeeded with `password`: when it is the newest key, the old one is forgotten. */
  accepted(password: string | undefined): void {
    if (this.rotationPending && password === this.#state.key) this.#save({ ...this.#state, previousKey: null });
  }

  #save(next: StoredCredentials): void {
    this.#file.write(next);
    this.#state = next;
  }
}
