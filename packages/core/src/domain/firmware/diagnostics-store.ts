import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chargePointFolder, isFileToken, newFileToken, sanitizeFileName } from './file-names.js';

/** An upload location handed to one charge point in one GetDiagnostics. */
export interface DiagnosticsSlot {
  chargePointId: string;
  token: string;
  requestedAt: Date;
  /** Uploads after this are refused (404). */
  expiresAt: Date;
  /** Absolute path of the slot's folder. */
  dir: string;
}

export interface DiagnosticsUpload {
  fileName: string;
  /** Absolute path on disk. */
  path: string;
  bytes: number;
}

/** Thrown by `receive` when the body exceeds the size limit. */
export class UploadTooLargeError extends Error {
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(`upload larger than ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
    this.name = 'UploadTooLargeError';
  }
}

const META = '.request.json';

/**
 * Diagnostics upload locations on disk: `<filesDir>/diagnostics/<charge point>/<token>/`, one per
 * GetDiagnostics, with `.request.json` (charge point, expiry). The random token in the location
 * URL is what lets a charge point write there; the folder is the registry, so a location stays
 * valid across a restart of the CSMS until it expires.
 */
export class DiagnosticsStore {
  readonly #root: string;

  constructor(filesDir: string) {
    this.#root = join(filesDir, 'diagnostics');
  }

  async create(chargePointId: string, requestedAt: Date, ttlMs: number): Promise<DiagnosticsSlot> {
    const token = newFileToken();
    const dir = join(this.#root, chargePointFolder(chargePointId), token);
    await mkdir(dir, { recursive: true });
    const slot: DiagnosticsSlot = { chargePointId, token, requestedAt, expiresAt: new Date(requestedAt.getTime() + ttlMs), dir };
    await writeFile(join(dir, META), JSON.stringify({ chargePointId, token, requestedAt, expiresAt: slot.expiresAt }));
    return slot;
  }

  /** The slot of a location, or null when unknown, of another charge point, or expired. */
  async find(chargePointId: string, token: string, now: Date): Promise<DiagnosticsSlot | null> {
    if (!isFileToken(token)) return null;
    const dir = join(this.#root, chargePointFolder(chargePointId), token);
    try {
      const meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as { chargePointId: string; token: string; requestedAt: string; expiresAt: string };
      if (meta.chargePointId !== chargePointId || meta.token !== token) return null;
      const slot: DiagnosticsSlot = { chargePointId, token, requestedAt: new Date(meta.requestedAt), expiresAt: new Date(meta.expiresAt), dir };
      return slot.expiresAt.getTime() > now.getTime() ? slot : null;
    } catch {
      return null;
    }
  }

  /** Removes a slot nobody will upload to (the GetDiagnostics never reached the charge point). */
  async discard(slot: DiagnosticsSlot): Promise<void> {
    await rm(slot.dir, { recursive: true, force: true });
  }

  /**
   * Streams an upload into the slot (through a temporary file, renamed when complete, so a broken
   * upload never leaves a half file under the real name). `fileName` is asked for at the end,
   * because a multipart body reveals its file name only after its part headers were read.
   */
  async receive(slot: DiagnosticsSlot, body: Readable, options: { maxBytes: number; fileName: () => string | null }): Promise<DiagnosticsUpload> {
    const temp = join(slot.dir, `.upload-${randomBytes(6).toString('hex')}.part`);
    let bytes = 0;
    try {
      await pipeline(
        body,
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            if (bytes > options.maxBytes) return done(new UploadTooLargeError(options.maxBytes));
            done(null, chunk);
          },
        }),
        createWriteStream(temp),
      );
      const fileName = sanitizeFileName(options.fileName()) ?? `diagnostics-${slot.requestedAt.toISOString().replace(/[:.]/g, '-')}.bin`;
      const path = join(slot.dir, fileName);
      await rename(temp, path);
      return { fileName, path, bytes };
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
