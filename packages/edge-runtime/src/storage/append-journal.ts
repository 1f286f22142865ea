import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, writeFileAtomicSync } from './json-file-store.js';

/**
 * An append-only journal of JSON records, one per line. Every append is written and fsynced
 * before it returns, so a record that was appended survives SIGKILL and power loss. A torn last
 * line (crash in the middle of a write) is ignored on load. `rewrite()` replaces the whole journal
 * atomically (compaction).
 */
export class AppendJournal<R> {
  readonly path: string;
  #fd: number | undefined;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Reads every complete record; skips a torn or corrupt line instead of failing the start. */
  load(): { records: R[]; skipped: number } {
    if (!existsSync(this.path)) return { records: [], skipped: 0 };
    const records: R[] = [];
    let skipped = 0;
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as R);
      } catch {
        skipped++;
      }
    }
    return { records, skipped };
  }

  append(record: R): void {
    if (this.#fd === undefined) {
      const created = !existsSync(this.path);
      this.#fd = openSync(this.path, 'a', 0o600);
      if (created) fsyncDir(dirname(this.path));
    }
    // A leading newline would waste space; instead every record ends with one, and a torn
    // record (no newline) is simply unparsable and skipped by load().
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#fd);
  }

  /** Atomically replaces the journal with exactly these records. */
  rewrite(records: readonly R[]): void {
    this.close();
    writeFileAtomicSync(this.path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  close(): void {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
  }
}
