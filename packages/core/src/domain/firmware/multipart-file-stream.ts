import { Transform, type TransformCallback } from 'node:stream';

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;

/** The boundary of a `multipart/form-data` content type, or null when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/** The `filename` of a Content-Disposition value (`filename*=UTF-8''...` preferred). */
export function dispositionFileName(value: string | undefined): string | null {
  if (!value) return null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(value);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!.trim());
    } catch {
      /* fall through to the plain parameter */
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(value);
  return plain ? (plain[1] ?? plain[2] ?? null) : null;
}

type State = 'preamble' | 'headers' | 'body' | 'skip' | 'after-boundary' | 'done';

/**
 * Streams the content of the first file part of a `multipart/form-data` body (the way many
 * chargers POST diagnostics, like `curl -F file=@diag.zip`) without buffering the file: plain
 * form fields before it are skipped, everything after it is discarded. `fileName` is the part's
 * filename once its headers were read. Fails on a body without a file part or cut short.
 */
export class MultipartFileStream extends Transform {
  fileName: string | null = null;
  readonly #delimiter: Buffer;
  #buffer: Buffer = CRLF; // the body is read as if preceded by CRLF, so every boundary is "\r\n--boundary"
  #state: State = 'preamble';
  #found = false;

  constructor(boundary: string) {
    super();
    this.#delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#state === 'done') return callback();
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    try {
      this.#drain();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#state === 'done') return callback();
    callback(new Error(this.#found ? 'multipart body ends inside the file part (no closing boundary)' : 'multipart body has no file part'));
  }

  #drain(): void {
    for (;;) {
      switch (this.#state) {
        case 'preamble':
        case 'skip': {
          const at = this.#buffer.indexOf(this.#delimiter);
          if (at < 0) {
            this.#keepTail();
            return;
          }
          this.#buffer = this.#buffer.subarray(at + this.#delimiter.length);
          this.#state = 'after-boundary';
          break;
        }
        case 'after-boundary': {
          if (this.#buffer.length < 2) return;
          if (this.#buffer[0] === 0x2d && this.#buffer[1] === 0x2d) {
            // "--": the closing boundary; no file part was found.
            throw new Error('multipart body has no file part');
          }
          const eol = this.#buffer.indexOf(CRLF);
          if (eol < 0) {
            if (this.#buffer.length > 256) throw new Error('malformed multipart boundary line');
            return;
          }
          this.#buffer = this.#buffer.subarray(eol + CRLF.length);
          this.#state = 'headers';
          break;
        }
        case 'headers': {
          // A part without headers starts with the blank line at once.
          const blank = this.#buffer.subarray(0, 2).equals(CRLF) ? -2 : this.#buffer.indexOf(HEADER_END);
          if (blank === -1) {
            if (this.#buffer.length > MAX_HEADER_BYTES) throw new Error('multipart part headers too large');
            return;
          }
          const headerText = blank === -2 ? '' : this.#buffer.subarray(0, blank).toString('latin1');
          this.#buffer = this.#buffer.subarray(blank === -2 ? 2 : blank + HEADER_END.length);
          const disposition = headerText
            .split('\r\n')
            .find((line) => /^content-disposition\s*:/i.test(line))
            ?.replace(/^[^:]*:\s*/, '');
          const fileName = dispositionFileName(disposition);
          if (fileName === null && /\bname\s*=/i.test(disposition ?? '')) {
            this.#state = 'skip'; // a plain form field
          } else {
            this.fileName = fileName;
            this.#found = true;
            this.#state = 'body';
          }
          break;
        }
        case 'body': {
          const at = this.#buffer.indexOf(this.#delimiter);
          if (at < 0) {
            const keep = this.#delimiter.length - 1;
            if (this.#buffer.length > keep) {
              this.push(this.#buffer.subarray(0, this.#buffer.length - keep));
              this.#buffer = this.#buffer.subarray(this.#buffer.length - keep);
            }
            return;
          }
          if (at > 0) this.push(this.#buffer.subarray(0, at));
          this.#buffer = Buffer.alloc(0);
          this.#state = 'done';
          return;
        }
        case 'done':
          return;
      }
    }
  }

  /** Keeps only what may be the start of a boundary split across chunks. */
  #keepTail(): void {
    const keep = this.#delimiter.length - 1;
    if (this.#buffer.length > keep) this.#buffer = this.#buffer.subarray(this.#buffer.length - keep);
  }
}
