import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';

/** Which browser origins may read the public view: none (same origin only), any, or a list. */
export type CorsPolicy = { kind: 'same-origin' } | { kind: 'any' } | { kind: 'list'; origins: ReadonlySet<string> };

/**
 * Parses `live.publicCorsOrigins` (CHARGE_IT_LIVE_PUBLIC_CORS_ORIGINS): unset/empty = same origin
 * only, `*` = any origin, else comma-separated origins such as `https://driver.example.id`.
 * A value that is not an origin fails the start, naming it.
 */
export function parseCorsOrigins(value: string | undefined): CorsPolicy {
  const parts = (value ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return { kind: 'same-origin' };
  if (parts.includes('*')) {
    if (parts.length > 1) throw invalid(value!, '* cannot be combined with other origins');
    return { kind: 'any' };
  }
  const origins = new Set<string>();
  for (const part of parts) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw invalid(value!, `"${part}" is not an origin like https://driver.example.id`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== part.replace(/\/$/, '')) {
      throw invalid(value!, `"${part}" is not an origin (scheme://host[:port], no path), e.g. ${url.origin}`);
    }
    origins.add(url.origin);
  }
  return { kind: 'list', origins };
}

/** The CORS response headers for a request from `origin` (none when it is not allowed). */
export function corsHeaders(policy: CorsPolicy, origin: string | undefined): Record<string, string> {
  if (policy.kind === 'any') return { 'access-control-allow-origin': '*' };
  if (policy.kind === 'list') {
    const vary = { vary: 'Origin' };
    return origin !== undefined && policy.origins.has(origin) ? { ...vary, 'access-control-allow-origin': origin } : vary;
  }
  return {};
}

function invalid(value: string, problem: string): CsmsError {
  return new CsmsError(
    CsmsErrorCode.CONFIG_INVALID,
    `invalid configuration:\n  - live.publicCorsOrigins (CHARGE_IT_LIVE_PUBLIC_CORS_ORIGINS): ${problem}; got ${JSON.stringify(value)}`,
    { details: { problems: [problem] } },
  );
}
