import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * The base URL charge points use to reach this server's HTTP (firmware downloads, diagnostics
 * uploads), without a trailing slash:
 * 1. `publicUrl` when configured (the right choice behind a proxy, NAT or TLS terminator);
 * 2. else the listen address: the configured host, or — when listening on all interfaces — the
 *    first non-internal IPv4 address of this machine (127.0.0.1 when there is none), with the
 *    listening port and http/https by the TLS setting.
 * Throws when there is no publicUrl and the server is not listening yet.
 */
export function resolvePublicBaseUrl(input: {
  publicUrl: string | undefined;
  host: string;
  tls: boolean;
  address: AddressInfo | string | null | undefined;
  interfaces?: () => ReturnType<typeof networkInterfaces>;
}): string {
  if (input.publicUrl) return input.publicUrl.replace(/\/+$/, '');
  if (!input.address || typeof input.address === 'string') {
    throw new CsmsError(
      CsmsErrorCode.CONFIG_INVALID,
      'cannot build a file location URL: the server is not listening yet and publicUrl is not set; call listen() first or set CHARGE_IT_PUBLIC_URL',
    );
  }
  let host = input.host;
  if (WILDCARDS.has(host)) {
    const found = Object.values((input.interfaces ?? networkInterfaces)())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    host = found?.address ?? '127.0.0.1';
  }
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `${input.tls ? 'https' : 'http'}://${host}:${input.address.port}`;
}
