import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import { isFileToken, newFileToken, sanitizeFileName } from './file-names.js';

/** A firmware image the operator registered, served to charge points at `/ocpp-files/firmware/<id>/<fileName>`. */
export interface FirmwareFile {
  /** Random token: the folder name and the secret part of the download URL. */
  id: string;
  fileName: string;
  bytes: number;
  sha256: string;
  addedAt: Date;
  /** Absolute path on disk. */
  path: string;
}

/** A firmware image given as bytes, a path on disk, or a stream (e.g. an HTTP upload). */
export type FirmwareSource = Buffer | Uint8Array | string | Readable;

const META = '.meta.json';

/**
 * Firmware files on disk: `<filesDir>/firmware/<id>/<fileName>` plus `.meta.json`. The id is a
 * random token, so the download URL cannot be guessed, and the folder layout alone is the
 * registry (it survives restarts without a table).
 */
export class FirmwareStore {
  readonly #root: string;

  constructor(filesDir: string) {
    this.#root = join(filesDir, 'firmware');
  }

  async add(source: FirmwareSource, fileName: string | undefined, now: Date): Promise<FirmwareFile> {
    const name = sanitizeFileName(fileName ?? (typeof source === 'string' ? basename(source) : undefined));
    if (!name) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `firmware file name ${JSON.stringify(fileName ?? null)} is not usable; give a name with letters or digits, e.g. "fw-1.2.3.bin"`, {
        details: { fields: { fileName: 'missing or unusable' } },
      });
    }
    const id = newFileToken();
    const dir = join(this.#root, id);
    await mkdir(dir, { recursive: true });
    const hash = createHash('sha256');
    let bytes = 0;
    const input =
      typeof source === 'string' ? createReadStream(source) : source instanceof Readable ? source : Readable.from([Buffer.from(source)]);
    const path = join(dir, name);
    try {
      await pipeline(
        input,
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            bytes += chunk.length;
            done(null, chunk);
          },
        }),
        createWriteStream(`${path}.part`),
      );
      await rename(`${path}.part`, path);
      const file: FirmwareFile = { id, fileName: name, bytes, sha256: hash.digest('hex'), addedAt: now, path };
      await writeFile(join(dir, META), JSON.stringify({ ...file, path: undefined }));
      return file;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      if (typeof source === 'string' && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `firmware file ${source} does not exist; give an existing path, a Buffer or a stream`, { cause: err });
      }
      throw err;
    }
  }

  async get(id: string): Promise<FirmwareFile | null> {
    if (!isFileToken(id)) return null;
    const dir = join(this.#root, id);
    try {
      const meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as Omit<FirmwareFile, 'path' | 'addedAt'> & { addedAt: string };
      const name = sanitizeFileName(meta.fileName);
      if (!name || name !== meta.fileName) return null;
      return { id, fileName: name, bytes: meta.bytes, sha256: meta.sha256, addedAt: new Date(meta.addedAt), path: join(dir, name) };
    } catch {
      return null;
    }
  }

  /** Every registered file, newest first. */
  async list(): Promise<FirmwareFile[]> {
    let ids: string[];
    try {
      ids = await readdir(this.#root);
    } catch {
      return [];
    }
    const files = (await Promise.all(ids.map((id) => this.get(id)))).filter((f): f is FirmwareFile => f !== null);
    return files.sort((a, b) => b.addedAt.getTime() - a.addedAt.getTime());
  }

  /** The newest file registered under `fileName`. */
  async findByName(fileName: string): Promise<FirmwareFile | null> {
    return (await this.list()).find((f) => f.fileName === fileName) ?? null;
  }

  async remove(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    await rm(join(this.#root, id), { recursive: true, force: true });
    return true;
  }

  /** The file behind a download URL, or null (wrong token, wrong name, or gone). */
  async open(id: string, fileName: string): Promise<{ file: FirmwareFile; size: number } | null> {
    const file = await this.get(id);
    if (!file || file.fileName !== fileName) return null;
    try {
      const info = await stat(file.path);
      return info.isFile() ? { file, size: info.size } : null;
    } catch {
      return null;
    }
  }
}
