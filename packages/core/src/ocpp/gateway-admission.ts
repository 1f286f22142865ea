/**
 * Admission of an OCPP websocket handshake: after the request checks (handshake-checks.ts) and
 * the per-IP caps (connection-limits.ts), decides from the charge point's stored credentials
 * whether it may connect: unknown id (404, or auto-registration), security profile 0, Basic auth
 * for profiles 1/2 through the AuthGuard (auth-guard.ts), a client certificate for profile 3.
 * The gateway (rpc-gateway.ts) turns a refusal into the HTTP answer.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AuthGuard } from './auth-guard.js';
import { normalizeIp } from './connection-limits.js';
import { parseBasicAuth } from './handshake-checks.js';
import type { ChargePointCredentials, GatewayLogger, SecurityProfile } from './rpc-gateway.js';

export const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Basic realm="Charge-IT"' };

export type AdmitDecision =
  | { ok: true; securityProfile: SecurityProfile }
  | { ok: false; status: number; reason: string; headers?: Record<string, string> };

export interface AdmissionDeps {
  log: GatewayLogger;
  guard: AuthGuard;
  autoRegister: boolean;
  lookupChargePoint(identity: string, signal: AbortSignal): Promise<ChargePointCredentials | null>;
  registerChargePoint?: ((identity: string, signal: AbortSignal) => Promise<void>) | undefined;
}

/** The gateway's admission decision for a handshake whose request already passed the checks. */
export type Admit = (identity: string, request: IncomingMessage, tls: boolean, signal: AbortSignal) => Promise<AdmitDecision>;

export function createAdmission(deps: AdmissionDeps): Admit {
  return async function admit(identity: string, request: IncomingMessage, tls: boolean, signal: AbortSignal): Promise<AdmitDecision> {
    const record = await deps.lookupChargePoint(identity, signal);
    // Failures recorded while this lookup ran count: no answer (404/401) and no hashing past the budget.
    if (deps.guard.blockedFor(request.socket.remoteAddress) > 0) return { ok: false, status: 429, reason: 'too many failed handshakes from this address' };
    if (record === null) {
      if (!deps.autoRegister || !deps.registerChargePoint) {
        return { ok: false, status: 404, reason: 'unknown charge point' };
      }
      await deps.registerChargePoint(identity, signal);
      deps.log.info({ event: 'ocpp-auto-registered', identity }, 'Auto-registered an unknown charge point');
      return { ok: true, securityProfile: 0 };
    }
    const profile = record.securityProfile;
    if (profile === 0) return { ok: true, securityProfile: 0 };
    if (profile === 3) return checkClientCertificate(deps.log, identity, request, tls);
    if (profile !== 1 && profile !== 2) {
      deps.log.error({ identity, securityProfile: profile }, 'Charge point has an unsupported security profile; set 0, 1, 2 or 3');
      return { ok: false, status: 401, reason: `unsupported security profile ${String(profile)}` };
    }
    if (profile === 2 && !tls) {
      return { ok: false, status: 401, reason: 'security profile 2 requires TLS (wss://)' };
    }
    if (!record.authKeyHash) {
      deps.log.error(
        { identity, securityProfile: profile },
        'Charge point requires Basic auth but has no auth key stored; set one (hashAuthKey(generateAuthKey()))',
      );
      return { ok: false, status: 401, reason: 'no auth key stored for this charge point' };
    }
    const credentials = parseBasicAuth(request.headers.authorization, identity);
    if (credentials.kind === 'missing') {
      return { ok: false, status: 401, reason: 'Basic auth credentials missing', headers: WWW_AUTHENTICATE };
    }
    if (credentials.kind === 'wrong-username') {
      return { ok: false, status: 401, reason: 'Basic auth username is not the charge point id', headers: WWW_AUTHENTICATE };
    }
    const checked = await deps.guard.check(identity, request.socket.remoteAddress, credentials.password, record.authKeyHash);
    if (checked === 'throttled') return { ok: false, status: 429, reason: 'too many failed handshakes from this address' };
    if (checked === 'wrong') return { ok: false, status: 401, reason: 'wrong Basic auth password', headers: WWW_AUTHENTICATE };
    return { ok: true, securityProfile: profile };
  };
}

/**
 * Security profile 3 (WP §2.3, A00.FR.4xx): TLS with a client certificate that chains to the
 * configured CA (`tls.caFile`; OpenSSL verified it during the TLS handshake) and whose subject CN
 * is the charge point id (A00.FR.407/408). No Basic auth. Every refusal is logged at warn level.
 */
function checkClientCertificate(log: GatewayLogger, identity: string, request: IncomingMessage, tls: boolean): AdmitDecision {
  const refuse = (reason: string, fields: Record<string, unknown> = {}): AdmitDecision => {
    log.warn({ event: 'ocpp-client-certificate-refused', identity, remoteAddress: normalizeIp(request.socket.remoteAddress), reason, ...fields }, 'Security profile 3: client certificate refused');
    return { ok: false, status: 401, reason };
  };
  if (!tls) return refuse('security profile 3 requires TLS (wss://) with a client certificate');
  const socket = request.socket as TLSSocket;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return refuse('no client certificate presented (security profile 3)');
  if (!socket.authorized) return refuse('client certificate not trusted (not signed by the configured CA)', { error: String(socket.authorizationError ?? '') });
  const cn = Array.isArray(cert.subject?.CN) ? cert.subject.CN[0] : cert.subject?.CN;
  if (cn !== identity) return refuse('client certificate CN is not the charge point id', { certificateCn: cn ?? null });
  return { ok: true, securityProfile: 3 };
}

