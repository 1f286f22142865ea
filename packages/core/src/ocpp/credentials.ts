import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';

/**
 * Charge point passwords (the OCPP security whitepaper's AuthorizationKey, HTTP Basic auth in
 * security profiles 1 and 2). They are stored only as salted scrypt hashes (WP A01.FR.06–09) in a
 * self-describing string, so the cost parameters can be raised later without breaking old rows:
 *
 *   scrypt$<N>$<r>$<p>$<salt, base64url>$<hash, base64url>
 *
 * A key is the exact byte string the charge point sends as the Basic-auth password. For a key made
 * by `generateAuthKey()` that is the 40 ASCII hex characters, not the 20 bytes they encode: the
 * charge point is configured with the hex text and sends it as is. Keys are never logged.
 */

const SCHEME = 'scrypt';
/** Node's default scrypt cost: ~16 MiB and a few tens of ms per hash, done on the libuv pool. */
const DEFAULT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Bounds for parameters read back from storage, so a corrupt row cannot make us hash for minutes. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/** Bytes of a generated key: the whitepaper asks for 16–20 bytes (TC_073), we take the maximum. */
const GENERATED_KEY_BYTES = 20;

function scryptAsync(key: Buffer, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(key, salt, length, options, (err, derived) => (err ? reject(err) : resolve(derived)));
  });
}

function scryptOptions(N: number, r: number, p: number): ScryptOptions {
  // Node refuses to run when 128*N*r exceeds maxmem (default 32 MiB); give it room to spare.
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

function toBuffer(key: string | Buffer): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/** Hashes a charge point key for storage. Strings are taken as UTF-8. */
export async function hashAuthKey(key: string | Buffer): Promise<string> {
  const keyBytes = toBuffer(key);
  if (keyBytes.length === 0) {
    throw new CsmsError(
      CsmsErrorCode.CONFIG_INVALID,
      'An empty charge point auth key cannot be hashed; generate one with generateAuthKey().',
    );
  }
  const { N, r, p } = DEFAULT_PARAMS;
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(keyBytes, salt, HASH_BYTES, scryptOptions(N, r, p));
  return [SCHEME, N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * Keys made by `generateAuthKey()` (160 random bits) are stored as
 *
 *   hs256$<salt, base64url>$<HMAC-SHA256(salt, key), base64url>
 *
 * A slow KDF protects guessable secrets; a 160-bit random key is not guessable: with the database
 * in hand an attacker still has to search 2^160 keys (at 10^12 HMACs per second: ~10^28 years),
 * so scrypt would add nothing but CPU per handshake (~20 ms each; what made a password flood lock
 * real chargers out). Keys an operator types keep scrypt (see docs/ocpp-gateway.md "Password checks").
 */
const FAST_SCHEME = 'hs256';
const GENERATED_KEY_PATTERN = /^[0-9a-f]{40,}$/;

/**
 * Hashes a key made by `generateAuthKey()` (or any key of 40+ lower-case hex characters from a
 * CSPRNG) with a salted HMAC-SHA256 — cheap to verify, as strong as scrypt for such a key.
 * Throws when the key does not look generated (use `hashAuthKey` for typed keys).
 */
export function hashGeneratedAuthKey(key: string): string {
  if (!GENERATED_KEY_PATTERN.test(key)) {
    throw new CsmsError(CsmsErrorCode.CONFIG_INVALID, 'hashGeneratedAuthKey takes only keys made by generateAuthKey() (40+ hex characters); use hashAuthKey for typed keys');
  }
  const salt = randomBytes(SALT_BYTES);
  const mac = createHmac('sha256', salt).update(key, 'utf8').digest();
  return [FAST_SCHEME, salt.toString('base64url'), mac.toString('base64url')].join('$');
}

/** Whether a stored hash needs the slow KDF to check (scrypt) or is cheap (hs256). */
export function isSlowAuthKeyHash(stored: string): boolean {
  return stored.startsWith(`${SCHEME}$`);
}

function verifyFast(key: Buffer, stored: string): boolean | null {
  const parts = stored.split('$');
  if (parts.length !== 3 || parts[0] !== FAST_SCHEME) return null;
  const salt = Buffer.from(parts[1]!, 'base64url');
  const mac = Buffer.from(parts[2]!, 'base64url');
  if (salt.length < 8 || mac.length !== 32) return null;
  return timingSafeEqual(createHmac('sha256', salt).update(key).digest(), mac);
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseStoredHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) return null;
  const [, nText, rText, pText, saltText, hashText] = parts as [string, string, string, string, string, string];
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  const isPowerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!isPowerOfTwo || N > MAX_N) return null;
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) return null;
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) return null;
  const salt = Buffer.from(saltText, 'base64url');
  const hash = Buffer.from(hashText, 'base64url');
  if (salt.length < 8 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

/** True when `stored` looks like a string made by `hashAuthKey` (used to check rows and config). */
export function isAuthKeyHash(stored: string): boolean {
  return parseStoredHash(stored) !== null || verifyFast(Buffer.alloc(0), stored) !== null;
}

/**
 * Checks a password against a stored hash in constant time (over the derived hash).
 * Throws CONFIG_INVALID when `stored` is not a hash made by `hashAuthKey`: that is a data problem
 * an operator has to fix, not a wrong password.
 */
export async function verifyAuthKey(key: Buffer, stored: string): Promise<boolean> {
  const fast = verifyFast(key, stored);
  if (fast !== null) return fast;
  const parsed = parseStoredHash(stored);
  if (parsed === null) {
    throw new CsmsError(
      CsmsErrorCode.CONFIG_INVALID,
      'The stored charge point auth key hash is not in the format scrypt$N$r$p$salt$hash or hs256$salt$mac; ' +
        'set a new key (hashAuthKey(generateAuthKey())) for this charge point.',
    );
  }
  const { N, r, p, salt, hash } = parsed;
  const derived = await scryptAsync(key, salt, hash.length, scryptOptions(N, r, p));
  return timingSafeEqual(derived, hash);
}

/** A new random key: 20 random bytes written as 40 lower-case hex characters (WP §7.2, TC_073). */
export function generateAuthKey(): string {
  return randomBytes(GENERATED_KEY_BYTES).toString('hex');
}
