import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream/promises';

// node:http is loaded with require, not `import`: the ESM facade of node:http reads every export,
// including its lazy `WebSocket` getter, which loads undici and WebAssembly (absent under --lite-mode).
const require = createRequire(import.meta.url);
const { request: httpRequest } = require('node:http') as typeof import('node:http');
const { request: httpsRequest } = require('node:https') as typeof import('node:https');

/**
 * Firmware download and diagnostics upload over node:http(s) rather than `fetch`: fetch loads
 * undici and its WebAssembly HTTP parser, which costs memory on a Raspberry Pi and does not work
 * under `--lite-mode` (no WebAssembly), the flag the systemd unit uses to keep one charge point
 * small.
 */
function send(url: URL, method: 'GET' | 'PUT', timeoutMs: number, body?: string, contentType?: string): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        timeout: timeoutMs,
        headers: body === undefined ? {} : { 'content-type': contentType ?? 'application/octet-stream', 'content-length': Buffer.byteLength(body) },
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** PUTs `body` to `target`; resolves with the HTTP status (the response body is discarded). */
export async function httpPut(target: string, body: string, contentType: string, timeoutMs: number): Promise<number> {
  const res = await send(new URL(target), 'PUT', timeoutMs, body, contentType);
  res.resume();
  return res.statusCode ?? 0;
}

/** GETs `source` into the file `path` (streamed); throws on a non-2xx status. */
export async function httpDownload(source: string, path: string, timeoutMs: number): Promise<void> {
  const res = await send(new URL(source), 'GET', timeoutMs);
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    res.resume();
    throw new Error(`HTTP ${status}`);
  }
  await pipeline(res, createWriteStream(path));
}
