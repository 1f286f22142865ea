import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PATTERN = /^[a-f0-9]{32}$/;

/** A new unguessable token (128 random bits, hex) for a file location URL. */
export function newFileToken(): string {
  return randomBytes(16).toString('hex');
}

export function isFileToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * A file name safe to use on disk, or null when nothing usable is left. Chargers and operators
 * send names like `../../etc/passwd`, `C:\logs\diag.zip` or names with control characters: only
 * the last path segment is kept, anything outside letters, digits, `.`, `_`, `-` becomes `_`,
 * leading dots are dropped (no hidden files, no `..`), and the length is capped at 128.
 */
export function sanitizeFileName(name: string | undefined | null): string | null {
  if (!name) return null;
  const last = name.split(/[\\/]/).pop() ?? '';
  const cleaned = last
    .normalize('NFKC')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 128);
  return cleaned.length > 0 && /[A-Za-z0-9]/.test(cleaned) ? cleaned : null;
}

/**
 * The folder name of a charge point's files. Charge point ids may hold characters that are
 * awkward or unsafe in paths (`.`, `:`, `|`, `*`, `#`): such ids get a cleaned name plus a short
 * hash of the real id, so two ids never share a folder.
 */
export function chargePointFolder(chargePointId: string): string {
  if (/^[A-Za-z0-9_-]{1,48}$/.test(chargePointId)) return chargePointId;
  const cleaned = chargePointId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48);
  return `${cleaned}~${createHash('sha256').update(chargePointId).digest('hex').slice(0, 10)}`;
}
