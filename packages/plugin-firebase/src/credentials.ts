import { existsSync, readFileSync } from 'node:fs';

/** A service account key as Google issues it (the JSON file). */
export interface ServiceAccountKey {
  type?: string;
  project_id?: string;
  client_email: string;
  private_key: string;
  [k: string]: unknown;
}

/** How the mirror reaches Firebase, decided once at start. */
export type FirebaseAccess =
  | { kind: 'emulator'; databaseURL: string; emulatorHost: string }
  | { kind: 'serviceAccount'; databaseURL: string; key: ServiceAccountKey; source: string }
  | { kind: 'applicationDefault'; databaseURL: string; source: string }
  | { kind: 'off'; reason: string };

export interface AccessInput {
  databaseURL?: string | undefined;
  credentials?: string | ServiceAccountKey | undefined;
  env: Record<string, string | undefined>;
}

/** A configuration mistake: the CSMS refuses to start and says what to fix. */
export class FirebaseConfigError extends Error {
  override name = 'FirebaseConfigError';
}

/**
 * Decides the access from options and the environment:
 * 1. FIREBASE_DATABASE_EMULATOR_HOST, or an `http://host:port?ns=...` databaseURL: an emulator
 *    (firebase-server, the Firebase emulator); no credentials needed.
 * 2. `credentials` (option, or CHARGE_IT_FIREBASE_CREDENTIALS): a service-account JSON file path or
 *    the parsed key.
 * 3. GOOGLE_APPLICATION_CREDENTIALS: Google's application default credentials.
 * Without a databaseURL or any credentials the mirror is off (not an error: the driver page then
 * uses the LAN view). A path that does not exist or a file that is not a key is an error.
 */
export function resolveAccess(input: AccessInput): FirebaseAccess {
  const env = input.env;
  const databaseURL = (input.databaseURL ?? env.CHARGE_IT_FIREBASE_DATABASE_URL ?? '').trim();
  if (!databaseURL) {
    return { kind: 'off', reason: 'no databaseURL (set firebaseMirror({ databaseURL }) or CHARGE_IT_FIREBASE_DATABASE_URL)' };
  }
  let url: URL;
  try {
    url = new URL(databaseURL);
  } catch {
    throw new FirebaseConfigError(
      `firebaseMirror: databaseURL ${JSON.stringify(databaseURL)} is not a URL; use the Realtime Database URL from the Firebase console, e.g. https://<project>-default-rtdb.asia-southeast1.firebasedatabase.app`,
    );
  }
  const emulatorHost = env.FIREBASE_DATABASE_EMULATOR_HOST?.trim();
  if (emulatorHost) return { kind: 'emulator', databaseURL, emulatorHost };
  if (url.protocol === 'http:') {
    if (!url.searchParams.get('ns')) {
      throw new FirebaseConfigError(`firebaseMirror: an http:// databaseURL is an emulator and needs its namespace: ${databaseURL}?ns=<project>`);
    }
    return { kind: 'emulator', databaseURL, emulatorHost: url.host };
  }
  if (url.protocol !== 'https:') {
    throw new FirebaseConfigError(`firebaseMirror: databaseURL must be https:// (got ${url.protocol}//)`);
  }

  const credentials = input.credentials ?? (env.CHARGE_IT_FIREBASE_CREDENTIALS?.trim() || undefined);
  if (credentials !== undefined) {
    if (typeof credentials === 'string') return { kind: 'serviceAccount', databaseURL, key: readKey(credentials, 'credentials'), source: credentials };
    checkKey(credentials, 'the credentials option');
    return { kind: 'serviceAccount', databaseURL, key: credentials, source: 'the credentials option' };
  }
  const adc = env.GOOGLE_APPLICATION_CREDENTIALS?.trim();
  if (adc) {
    if (!existsSync(adc)) {
      throw new FirebaseConfigError(`firebaseMirror: GOOGLE_APPLICATION_CREDENTIALS points to ${adc}, which does not exist; download a service-account key (Project settings → Service accounts) or unset it`);
    }
    return { kind: 'applicationDefault', databaseURL, source: `GOOGLE_APPLICATION_CREDENTIALS=${adc}` };
  }
  return {
    kind: 'off',
    reason: 'no credentials (set firebaseMirror({ credentials: "/path/service-account.json" }), CHARGE_IT_FIREBASE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS)',
  };
}

function readKey(path: string, what: string): ServiceAccountKey {
  if (!existsSync(path)) {
    throw new FirebaseConfigError(`firebaseMirror: ${what} file ${path} does not exist; download a service-account key (Project settings → Service accounts → Generate new private key)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FirebaseConfigError(`firebaseMirror: ${what} file ${path} is not JSON (${(err as Error).message})`);
  }
  checkKey(parsed, `${what} file ${path}`);
  return parsed as ServiceAccountKey;
}

function checkKey(key: unknown, where: string): asserts key is ServiceAccountKey {
  const k = key as Partial<ServiceAccountKey> | null;
  const missing = ['client_email', 'private_key'].filter((f) => typeof k?.[f as keyof ServiceAccountKey] !== 'string' || !(k as Record<string, unknown>)[f]);
  if (!k || typeof k !== 'object' || missing.length > 0) {
    throw new FirebaseConfigError(`firebaseMirror: ${where} is not a service-account key (missing ${missing.join(', ') || 'fields'}); use the JSON file from Project settings → Service accounts`);
  }
}
