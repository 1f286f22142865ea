import { unwatchFile, watchFile } from 'node:fs';
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

/**
 * TLS 1.2 suites offered by default: AEAD only (GCM, ChaCha20-Poly1305), no CBC, no SHA-1 MACs.
 * It includes the four suites of the 1.6 security whitepaper (A00.FR.317/318:
 * ECDHE-ECDSA-AES128/256-GCM and RSA-AES128/256-GCM), which need both an ECDSA and an RSA
 * certificate to be served. TLS 1.3 suites are all AEAD and are not affected by this list.
 */
export const DEFAULT_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
].join(':');

/** A list, or one string with paths separated by commas (the CHARGE_IT_TLS_* variables: "rsa.crt,ec.crt"). */
function asList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? value.split(',').map((f) => f.trim()).filter(Boolean) : value;
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
    ciphers: options.ciphers ?? DEFAULT_TLS12_CIPHERS,
    honorCipherOrder: true,
  };
  if (options.caFile !== undefined) {
    result.ca = await readPem(options.caFile, 'CA');
    // Security profile 3: clients may present a certificate; the gateway checks it (chained to
    // this CA, CN = charge point id) for profile-3 charge points only, so others still connect.
    result.requestCert = true;
    result.rejectUnauthorized = false;
  }
  return result;
}

/** What `setSecureContext` of a running server takes (the context part of the options). */
function secureContextPart(o: ServerOptions): Record<string, unknown> {
  const { cert, key, ca, ciphers, minVersion, secureOptions, honorCipherOrder } = o;
  return { cert, key, ca, ciphers, minVersion, secureOptions, honorCipherOrder };
}

export interface TlsReloader {
  /** Reads the files again and puts them in force for new connections (open ones keep theirs). */
  reload(): Promise<void>;
  close(): void;
}

/**
 * Certificate reload without a restart: `reload()` (e.g. on SIGHUP, or after certbot's deploy
 * hook) re-reads the PEM files and calls `server.setSecureContext`; with `watchIntervalMs` the
 * files are also polled (fs.watchFile: works for renames and on network file systems) and reloaded
 * when one changes. A failed read keeps the certificates in force and logs the error.
 */
export function createTlsReloader(
  server: { setSecureContext(options: Record<string, unknown>): void },
  options: TlsFileOptions,
  log: { info(o: object, m: string): void; error(o: object, m: string): void },
  watchIntervalMs = 0,
): TlsReloader {
  let running: Promise<void> | undefined;
  const reload = async () => {
    const next = await createTlsOptions(options);
    server.setSecureContext(secureContextPart(next));
    log.info({ event: 'tls-reloaded', certFiles: asList(options.certFile) }, 'TLS certificates reloaded');
  };
  const files = [...asList(options.certFile), ...asList(options.keyFile), ...(options.caFile ? [options.caFile] : [])];
  const onChange = () => {
    running ??= reload()
      .catch((err: unknown) => log.error({ err, event: 'tls-reload-failed' }, 'TLS certificates could not be reloaded; the previous ones stay in force'))
      .finally(() => (running = undefined));
  };
  if (watchIntervalMs > 0) for (const f of files) watchFile(f, { interval: watchIntervalMs, persistent: false }, onChange);
  return {
    reload,
    close: () => {
      for (const f of files) unwatchFile(f, onChange);
    },
  };
}
