import { readFile } from 'node:fs/promises';
import { constants } from 'node:crypto';
import type { ServerOptions } from 'node:https';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';

/**
 * TLS settings for security profile 2 (WP §2): TLS 1.2 or later (A00.FR.312), no TLS compression
 * (A00.FR.319; OpenSSL 3 has none built in, the flag says so explicitly), and both an RSA and an
 * ECDSA certificate when given (A00.FR.317 asks for ECDHE-ECDSA and RSA GCM suites). The lead's
 * `https.createServer(options)` uses the result; the gateway then sees `socket.encrypted`.
 */
export interface TlsFileOptions {
  /** PEM certificate chain file(s); one per key (e.g. an RSA and an ECDSA one). */
  certFile: string | readonly string[];
  /** PEM private key file(s), in the same order as `certFile`. */
  keyFile: string | readonly string[];
  /** PEM CA bundle to send along (intermediates) or, for profile 3 later, to verify clients. */
  caFile?: string | undefined;
  /** OpenSSL cipher list for TLS 1.2; Node's default list when absent. */
  ciphers?: string | undefined;
  /** Drop a client that has not finished the TLS handshake in this time (Node's default is 120 s). */
  handshakeTimeoutMs?: number | undefined;
}

export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

function asList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

async function readPem(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new CsmsError(
      CsmsErrorCode.LISTEN,
      `Cannot read the TLS ${what} file '${file}'; check the path and that the server may read it.`,
      { cause, details: { file } },
    );
  }
}

/** Reads the PEM files and returns options for `https.createServer`. */
export async function createTlsOptions(options: TlsFileOptions): Promise<ServerOptions> {
  const certFiles = asList(options.certFile);
  const keyFiles = asList(options.keyFile);
  if (certFiles.length === 0 || certFiles.length !== keyFiles.length) {
    throw new CsmsError(
      CsmsErrorCode.CONFIG_INVALID,
      `TLS needs one key file per certificate file (got ${certFiles.length} cert, ${keyFiles.length} key).`,
    );
  }
  const cert = await Promise.all(certFiles.map((file) => readPem(file, 'certificate')));
  const key = await Promise.all(keyFiles.map((file) => readPem(file, 'private key')));
  const result: ServerOptions = {
    cert,
    key,
    minVersion: 'TLSv1.2',
    secureOptions: constants.SSL_OP_NO_COMPRESSION,
    handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  };
  if (options.caFile !== undefined) result.ca = await readPem(options.caFile, 'CA');
  if (options.ciphers !== undefined) result.ciphers = options.ciphers;
  return result;
}
