import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createReadStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { DiagnosticsUpload } from './diagnostics-store.js';
import { UploadTooLargeError } from './diagnostics-store.js';
import type { FirmwareFile } from './firmware-store.js';
import { dispositionFileName, multipartBoundary, MultipartFileStream } from './multipart-file-stream.js';
import type { Logger } from '../../kernel/logger.js';

/** What the file routes need from the firmware service. */
export interface FilesRoutesService {
  readonly options: { readonly maxUploadBytes: number };
  attachServer(server: { address(): AddressInfo | string | null }): void;
  receiveDiagnostics(chargePointId: string, token: string, body: Readable, fileName: () => string | null): Promise<DiagnosticsUpload | null>;
  openFirmware(id: string, fileName: string): Promise<{ file: FirmwareFile; size: number } | null>;
}

const NOT_FOUND = { error: 'not found' };

/**
 * The HTTP file locations charge points use (register with the prefix `/ocpp-files`):
 *
 * - `PUT|POST /diagnostics/:chargePointId/:token/[:fileName]` — diagnostics upload to the location
 *   sent in GetDiagnostics. The body is the file (any content type), or a multipart/form-data form
 *   whose first file part is the file. The name comes from the URL, else the multipart part, else
 *   Content-Disposition, else a generated one; it is always sanitised. Unknown or expired tokens → 404,
 *   bodies over the limit → 413, a broken multipart body → 400, success → 201 `{ fileName, bytes }`.
 * - `GET|HEAD /firmware/:id/:fileName` — firmware download from the location sent in
 *   UpdateFirmware, with single-range support (`Range: bytes=a-b`, for chargers that resume).
 *
 * No API key: chargers cannot send one. The random token in the URL is the credential.
 * The body parsers are replaced in this route scope only, so uploads stream to disk unbuffered.
 */
export function createFilesRoutes(service: FilesRoutesService, log: Logger): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    service.attachServer(app.server);
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request: FastifyRequest, payload: unknown, done: (err: Error | null, body?: unknown) => void) => done(null, payload));

    const upload = async (request: FastifyRequest, reply: FastifyReply) => {
      const { chargePointId, token, fileName } = request.params as { chargePointId: string; token: string; fileName?: string };
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > service.options.maxUploadBytes) {
        return reply.code(413).header('connection', 'close').send({ error: `upload larger than ${service.options.maxUploadBytes} bytes` });
      }
      const raw = (request.body as Readable | undefined) ?? Readable.from([]);
      const boundary = multipartBoundary(request.headers['content-type']);
      let body: Readable = raw;
      let multipart: MultipartFileStream | null = null;
      if (boundary) {
        multipart = new MultipartFileStream(boundary);
        raw.on('error', (err) => multipart!.destroy(err));
        body = raw.pipe(multipart);
      }
      const headerName = dispositionFileName(request.headers['content-disposition']);
      try {
        const stored = await service.receiveDiagnostics(chargePointId, token, body, () => fileName || multipart?.fileName || headerName);
        if (!stored) {
          raw.resume(); // drain what the charger sends so it gets the 404
          return reply.code(404).send(NOT_FOUND);
        }
        log.info({ chargePointId, fileName: stored.fileName, bytes: stored.bytes, ip: request.ip }, 'diagnostics upload stored');
        return reply.code(201).send({ fileName: stored.fileName, bytes: stored.bytes });
      } catch (err) {
        if (err instanceof UploadTooLargeError) return reply.code(413).header('connection', 'close').send({ error: err.message });
        if (multipart && /multipart/.test((err as Error).message)) return reply.code(400).send({ error: (err as Error).message });
        log.error({ err, chargePointId }, 'diagnostics upload failed');
        return reply.code(500).send({ error: 'upload failed' });
      }
    };
    for (const path of ['/diagnostics/:chargePointId/:token', '/diagnostics/:chargePointId/:token/', '/diagnostics/:chargePointId/:token/:fileName']) {
      app.route({ method: ['PUT', 'POST'], url: path, handler: upload });
    }

    app.get('/firmware/:id/:fileName', async (request, reply) => {
      const { id, fileName } = request.params as { id: string; fileName: string };
      const found = await service.openFirmware(id, fileName);
      if (!found) return reply.code(404).send(NOT_FOUND);
      const { file, size } = found;
      reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .header('accept-ranges', 'bytes')
        .header('etag', `"${file.sha256}"`);
      const range = parseRange(request.headers.range, size);
      if (range === 'invalid') return reply.code(416).header('content-range', `bytes */${size}`).send();
      log.info({ fileId: id, fileName, ip: request.ip, range: range ?? undefined }, 'firmware download');
      if (range) {
        return reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
          .header('content-length', range.end - range.start + 1)
          .send(createReadStream(file.path, { start: range.start, end: range.end }));
      }
      return reply.header('content-length', size).send(createReadStream(file.path));
    });
  };
}

/** One `bytes=` range (`a-b`, `a-`, `-n`); null = whole file; 'invalid' → 416. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}
