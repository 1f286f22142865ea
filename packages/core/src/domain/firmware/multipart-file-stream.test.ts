import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { dispositionFileName, multipartBoundary, MultipartFileStream } from './multipart-file-stream.js';

function body(boundary: string, parts: Array<{ headers: string[]; content: Buffer | string }>, preamble = ''): Buffer {
  const chunks: Buffer[] = [Buffer.from(preamble)];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** Feeds `data` in chunks of `size` bytes. */
async function extract(boundary: string, data: Buffer, size: number): Promise<{ content: Buffer; fileName: string | null }> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
  const stream = new MultipartFileStream(boundary);
  const content = await buffer(Readable.from(pieces).pipe(stream));
  return { content, fileName: stream.fileName };
}

describe('multipartBoundary / dispositionFileName', () => {
  it('reads boundaries and file names', () => {
    expect(multipartBoundary('multipart/form-data; boundary=----abc123')).toBe('----abc123');
    expect(multipartBoundary('multipart/form-data; boundary="quoted b"')).toBe('quoted b');
    expect(multipartBoundary('application/octet-stream')).toBeNull();
    expect(multipartBoundary(undefined)).toBeNull();
    expect(dispositionFileName('form-data; name="file"; filename="diag.zip"')).toBe('diag.zip');
    expect(dispositionFileName("attachment; filename*=UTF-8''l%C3%B6g.txt")).toBe('lög.txt');
    expect(dispositionFileName('attachment; filename=plain.log')).toBe('plain.log');
    expect(dispositionFileName('form-data; name="x"')).toBeNull();
  });
});

describe('MultipartFileStream', () => {
  const boundary = '----charge-it-boundary';
  // Binary content that contains CRLFs and a near-boundary.
  const content = Buffer.concat([Buffer.from('line1\r\nline2\r\n------charge-it-bound\r\n'), Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256))]);

  it('extracts the first file part, skipping form fields, whatever the chunking', async () => {
    const data = body(
      boundary,
      [
        { headers: ['Content-Disposition: form-data; name="note"'], content: 'hello' },
        { headers: ['Content-Disposition: form-data; name="file"; filename="diag.tar.gz"', 'Content-Type: application/gzip'], content },
        { headers: ['Content-Disposition: form-data; name="after"'], content: 'ignored' },
      ],
      'preamble text\r\n',
    );
    for (const size of [1, 7, 64, 1000, data.length]) {
      const out = await extract(boundary, data, size);
      expect(out.fileName).toBe('diag.tar.gz');
      expect(out.content.equals(content)).toBe(true);
    }
  });

  it('fails without a file part, and on a body cut short', async () => {
    const noFile = body(boundary, [{ headers: ['Content-Disposition: form-data; name="note"'], content: 'x' }]);
    await expect(extract(boundary, noFile, 10)).rejects.toThrow(/no file part/);
    const cut = body(boundary, [{ headers: ['Content-Disposition: form-data; name="f"; filename="a.log"'], content }]).subarray(0, 500);
    await expect(extract(boundary, cut, 50)).rejects.toThrow(/closing boundary/);
  });
});
