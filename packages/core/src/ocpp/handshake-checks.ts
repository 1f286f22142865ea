import type { IncomingHttpHeaders } from 'node:http';
import { parseSubprotocols } from 'ocpp-rpc/lib/ws-util.js';

/**
 * The synchronous checks on a websocket upgrade request, before anything is looked up:
 * path, charge point identity, Upgrade header and subprotocol. Pure, so every branch is unit-tested;
 * the gateway answers a failure with the returned HTTP status and no websocket is opened.
 */

/**
 * Identities we accept (after percent-decoding): the OCPP 2.0.1 identifierString set
 * (`a-z A-Z 0-9 * - _ = : + | @ .`) plus `#`, 1–48 characters (2.0.1's limit; 1.6 sets none).
 * No `/` (it would split the path), no spaces or control characters (they end up in logs and
 * file names), and not `.` or `..` (URL parsers resolve them as path segments).
 */
export const DEFAULT_IDENTITY_PATTERN = /^[A-Za-z0-9*\-_=:+|@.#]{1,48}$/;

export const OCPP16_SUBPROTOCOL = 'ocpp1.6';

export type HandshakeCheck =
  | { ok: true; identity: string; protocol: typeof OCPP16_SUBPROTOCOL }
  | { ok: false; status: 400 | 404; reason: string };

export interface HandshakeCheckOptions {
  /** URL path prefix of the OCPP endpoint, e.g. `/ocpp` for `/ocpp/{identity}`. */
  basePath: string;
  identityPattern: RegExp;
}

function fail(status: 400 | 404, reason: string): HandshakeCheck {
  return { ok: false, status, reason };
}

/** Returns the raw (still percent-encoded) identity segment, or null when the path is not ours. */
export function identitySegment(url: string | undefined, basePath: string): string | null {
  const path = (url ?? '/').split(/[?#]/, 1)[0] ?? '';
  const prefix = `${basePath}/`;
  if (!path.startsWith(prefix)) return null;
  const segment = path.slice(prefix.length);
  return segment.length > 0 && !segment.includes('/') ? segment : null;
}

/**
 * Checks, in this order: path `/<basePath>/{id}` (else 404), percent-decoding and identity
 * pattern (else 400), `Upgrade: websocket` (else 400), subprotocol list well-formed and containing
 * `ocpp1.6` (else 400).
 *
 * No or only foreign subprotocols → 400, not SteVe's 404: 404 means "unknown charge point" in
 * J16 §3.2, and an operator reading the charger's log must be able to tell the two apart. J16 §3.2
 * would complete the handshake without a subprotocol and then close; OCTT TC_088 requires that no
 * websocket is opened, which a 400 satisfies.
 */
export function checkUpgradeRequest(
  request: { url?: string | undefined; headers: IncomingHttpHeaders },
  options: HandshakeCheckOptions,
): HandshakeCheck {
  const segment = identitySegment(request.url, options.basePath);
  if (segment === null) return fail(404, `path is not ${options.basePath}/{chargePointId}`);

  let identity: string;
  try {
    identity = decodeURIComponent(segment);
  } catch {
    return fail(400, 'charge point id is not valid percent-encoding');
  }
  if (identity === '.' || identity === '..' || !options.identityPattern.test(identity)) {
    return fail(400, `charge point id does not match ${String(options.identityPattern)}`);
  }

  if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
    return fail(400, 'Upgrade header is not "websocket"');
  }

  const header = request.headers['sec-websocket-protocol'];
  if (header === undefined || header.trim() === '') {
    return fail(400, `no subprotocol offered; offer "${OCPP16_SUBPROTOCOL}" in Sec-WebSocket-Protocol`);
  }
  let offered: Set<string>;
  try {
    // ocpp-rpc's own parser: what it would throw on (→ a 500 from inside ocpp-rpc) we answer 400.
    offered = parseSubprotocols(header);
  } catch {
    return fail(400, 'Sec-WebSocket-Protocol header is malformed');
  }
  if (!offered.has(OCPP16_SUBPROTOCOL)) {
    return fail(400, `subprotocol "${OCPP16_SUBPROTOCOL}" not offered`);
  }
  return { ok: true, identity, protocol: OCPP16_SUBPROTOCOL };
}

export type BasicAuthResult =
  | { kind: 'missing' }
  | { kind: 'wrong-username' }
  | { kind: 'present'; password: Buffer };

const BASIC_AUTH = /^ *[Bb][Aa][Ss][Ii][Cc] +([A-Za-z0-9._~+/-]+=*) *$/;

/**
 * Reads HTTP Basic credentials whose username must equal the identity (WP A00.FR.202). Like
 * ocpp-rpc, the split is on the `identity:` prefix, not the first colon (identities may contain
 * colons), and the password is kept as raw bytes (the whitepaper recommends random binary keys).
 */
export function parseBasicAuth(header: string | undefined, identity: string): BasicAuthResult {
  const encoded = header === undefined ? undefined : BASIC_AUTH.exec(header)?.[1];
  if (encoded === undefined) return { kind: 'missing' };
  const decoded = Buffer.from(encoded, 'base64');
  const prefix = Buffer.from(`${identity}:`, 'utf8');
  if (decoded.length < prefix.length || !decoded.subarray(0, prefix.length).equals(prefix)) {
    return { kind: 'wrong-username' };
  }
  return { kind: 'present', password: decoded.subarray(prefix.length) };
}
