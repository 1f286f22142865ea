/**
 * Shared set-up of the REST API end-to-end tests (test/api-*.test.ts): a real CSMS (the OCPP rules
 * harness) with a bootstrap admin key, and `fetch` over real HTTP against /api/v1.
 */
import { randomBytes } from 'node:crypto';
import { startRules, type RulesHarness, type RulesOptions } from './ocpp-rules-fixtures.js';
import type { TestDatabaseKind } from './support/databases.js';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON body (undefined when the body is empty or not JSON). */
  body: T;
  text: string;
}

export interface CallOptions {
  /** API key sent as `Authorization: Bearer`; `null` sends none. Default: the bootstrap admin key. */
  key?: string | null;
  /** Send the key as `X-API-Key` instead. */
  keyHeader?: 'bearer' | 'x-api-key';
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiHarness {
  readonly h: RulesHarness;
  readonly adminKey: string;
  /** `http://127.0.0.1:<port>/api/v1` of the CSMS now running (changes after `h.restart`). */
  base(): string;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<ApiResponse<T>>;
  /** Creates a key with `role` through the API (as the bootstrap admin) and returns the secret. */
  keyFor(role: 'viewer' | 'operator' | 'admin', name?: string): Promise<string>;
}

export const newBootstrapKey = (): string => `boot-${randomBytes(24).toString('hex')}`;

/** Starts a CSMS on a fresh database of `kind` with a bootstrap admin key. Close with closeRulesHarnesses. */
export async function startApi(kind: TestDatabaseKind, options: RulesOptions = {}): Promise<ApiHarness> {
  const adminKey = options.apiAdminKey ?? newBootstrapKey();
  const h = await startRules(kind, { ...options, apiAdminKey: adminKey });
  let keys = 0;
  const api: ApiHarness = {
    h,
    adminKey,
    base: () => `${h.server.url}/api/v1`,
    async call(method, path, options = {}) {
      const key = options.key === undefined ? adminKey : options.key;
      const headers: Record<string, string> = { ...options.headers };
      if (key !== null) {
        if (options.keyHeader === 'x-api-key') headers['x-api-key'] = key;
        else headers.authorization = `Bearer ${key}`;
      }
      let payload: string | undefined;
      if (options.body !== undefined) {
        payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${api.base()}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
      const text = await response.text();
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, body, text };
    },
    async keyFor(role, name = `${role}-${++keys}`) {
      const created = await api.call('POST', '/api-keys', { body: { name, role } });
      if (created.status !== 201) throw new Error(`could not create a ${role} key: ${created.status} ${created.text}`);
      return created.body.key as string;
    },
  };
  return api;
}
