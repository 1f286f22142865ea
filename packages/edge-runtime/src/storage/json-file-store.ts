import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A small JSON document kept in one file and replaced atomically: write a temp file, fsync it,
 * rename it over the target, fsync the directory. After a crash or power cut the file holds the
 * old or the new document, never a mix. Synchronous on purpose: the documents are tiny, and a
 * caller that returns has its change on disk (no write-behind window to lose on SIGKILL).
 */
export class JsonFileStore<T> {
  readonly path: string;
  readonly #fallback: () => T;

  constructor(path: string, fallback: () => T) {
    this.path = path;
    this.#fallback = fallback;
    mkdirSync(dirname(path), { recursive: true });
  }

  /** The stored document, or the fallback when the file is missing or unreadable. */
  read(): T {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.#fallback();
      // A corrupt file can only come from outside tampering (writes are atomic); start clean
      // rather than refuse to run, but keep the bad file for inspection.
      try {
        renameSync(this.path, `${this.path}.corrupt-${Date.now()}`);
      } catch {
        /* ignore */
      }
      return this.#fallback();
    }
  }

  write(value: T): void {
    writeFileAtomicSync(this.path, JSON.stringify(value, null, 1));
  }
}

export function writeFileAtomicSync(path: string, content: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* ignore */
    }
    throw err;
  }
  fsyncDir(dir);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
