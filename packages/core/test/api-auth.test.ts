/**
 * REST API v1 end to end over real HTTP: API keys (bootstrap, create/list/revoke, stored hashed),
 * roles (viewer < operator < admin), 401/403 answers, public routes, the OpenAPI document.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { CENTRAL_SYSTEM_ACTIONS } from '../src/ocpp/v16/central-system-messages.js';
import { ApiKeySchema } from '../src/persistence/entities/index.js';
import { createTestCsms } from '../src/testing/index.js';
import { newBootstrapKey, startApi } from './api-fixtures.js';
import { closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('REST API authentication and roles on $name', (db) => {
  it('answers 401 with WWW-Authenticate without a key, with a bad key, and with a malformed header', async () => {
    const api = await startApi(db);
    const missing = await api.call('GET', '/charge-points', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="charge-it"');
    expect(missing.body).toEqual({ error: { code: CsmsErrorCode.UNAUTHORIZED, message: expect.stringContaining('Authorization: Bearer') } });

    const wrong = await api.call('GET', '/charge-points', { key: `${api.adminKey}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(wrong.body.error.code).toBe(CsmsErrorCode.UNAUTHORIZED);

    const generatedShape = await api.call('GET', '/charge-points', { key: 'cit_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(generatedShape.status).toBe(401);

    const basic = await api.call('GET', '/charge-points', { key: null, headers: { authorization: `Basic ${Buffer.from(`x:${api.adminKey}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
  });

  it('accepts the bootstrap key as a bearer token and as X-API-Key, and stores only its hash', async () => {
    const api = await startApi(db);
    const bearer = await api.call('GET', '/me');
    expect(bearer).toMatchObject({ status: 200, body: { name: 'bootstrap-admin', role: 'admin' } });
    const header = await api.call('GET', '/me', { keyHeader: 'x-api-key' });
    expect(header).toMatchObject({ status: 200, body: { name: 'bootstrap-admin', role: 'admin' } });

    const rows = await api.h.em().find(ApiKeySchema, {});
    expect(rows).toHaveLength(1);
    expect(rows[0]!.keyHash).toMatch(/^sha256\$/);
    expect(JSON.stringify(rows)).not.toContain(api.adminKey);
  });

  it('creates keys shown once, lists them without secrets, and revokes them (then 401)', async () => {
    const api = await startApi(db);
    const created = await api.call('POST', '/api-keys', { body: { name: 'billing export', role: 'viewer' } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^cit_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.apiKey).toMatchObject({ name: 'billing export', role: 'viewer', prefix: key.slice(4, 16), revokedAt: null });

    const list = await api.call('GET', '/api-keys');
    expect(list.status).toBe(200);
    expect(list.body.items.map((k: { name: string }) => k.name)).toEqual(['bootstrap-admin', 'billing export']);
    expect(list.text).not.toContain(key.slice(17));
    const stored = await api.h.em().findOneOrFail(ApiKeySchema, { name: 'billing export' });
    expect(stored.keyHash).not.toContain(key.slice(17));

    expect((await api.call('GET', '/me', { key })).body).toEqual({ name: 'billing export', role: 'viewer' });
    const duplicate = await api.call('POST', '/api-keys', { body: { name: 'Billing Export', role: 'admin' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.fields).toEqual({ name: 'already in use' });

    const revoked = await api.call('DELETE', `/api-keys/${created.body.apiKey.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await api.call('GET', '/me', { key })).status).toBe(401);
    expect((await api.call('DELETE', '/api-keys/9999')).status).toBe(404);
  });

  it('enforces roles: viewer reads, operator also commands, admin also administers', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const viewer = await api.keyFor('viewer');
    const operator = await api.keyFor('operator');
    const admin = await api.keyFor('admin');

    for (const key of [viewer, operator, admin]) expect((await api.call('GET', '/charge-points', { key })).status).toBe(200);

    // Commands: viewer 403; operator and admin pass authorisation (the charge point is offline: 409).
    const reset = (key: string) => api.call('POST', '/charge-points/CP-1/commands/Reset', { key, body: { type: 'Soft' } });
    const forbidden = await reset(viewer);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: CsmsErrorCode.FORBIDDEN, message: expect.stringContaining('operator role') });
    expect((await reset(operator)).status).toBe(409);
    expect((await reset(admin)).status).toBe(409);

    // Admin-only: idTags, charge point registration, settings, API keys.
    const adminOnly: Array<[string, string, unknown]> = [
      ['POST', '/id-tags', { idTag: 'TAG-1' }],
      ['POST', '/charge-points', { id: 'CP-9', securityProfile: 0 }],
      ['PUT', '/settings/maintenanceMode', { value: false }],
      ['POST', '/api-keys', { name: 'x', role: 'viewer' }],
      ['GET', '/api-keys', undefined],
    ];
    for (const [method, path, body] of adminOnly) {
      expect((await api.call(method, path, { key: viewer, body })).status, `${method} ${path} as viewer`).toBe(403);
      expect((await api.call(method, path, { key: operator, body })).status, `${method} ${path} as operator`).toBe(403);
    }
    expect((await api.call('POST', '/id-tags', { key: admin, body: { idTag: 'TAG-1' } })).status).toBe(201);
    expect((await api.call('POST', '/charge-points', { key: admin, body: { id: 'CP-9', securityProfile: 0 } })).status).toBe(201);
  });

  it('keeps the bootstrap key in step with the configuration across restarts', async () => {
    const api = await startApi(db);
    const first = api.adminKey;
    expect((await api.call('GET', '/me')).status).toBe(200);

    const second = newBootstrapKey();
    await api.h.restart({ apiAdminKey: second });
    expect((await api.call('GET', '/me', { key: first })).status).toBe(401);
    expect((await api.call('GET', '/me', { key: second })).body).toEqual({ name: 'bootstrap-admin', role: 'admin' });

    await api.h.restart({});
    expect((await api.call('GET', '/me', { key: second })).status).toBe(401);
    const row = await api.h.em().findOneOrFail(ApiKeySchema, { name: 'bootstrap-admin' });
    expect(row.revokedAt).toBeInstanceOf(Date);
  });

  it('refuses to start with a bootstrap key shorter than 24 characters', async () => {
    await expect(createTestCsms({ apiAdminKey: 'short-key' })).rejects.toMatchObject({ code: CsmsErrorCode.CONFIG_INVALID });
  });

  it('leaves /health public, answers unknown API routes with a JSON 404, and serves the OpenAPI document', async () => {
    const api = await startApi(db);
    expect((await fetch(`${api.h.server.url}/health`)).status).toBe(200);

    const unknown = await api.call('GET', '/no-such-thing', { key: null });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: CsmsErrorCode.NOT_FOUND, message: expect.stringContaining('/api/v1/no-such-thing') });

    const doc = await api.call('GET', '/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    expect(doc.headers.get('content-type')).toContain('application/json');
    const openapi = JSON.parse(doc.text);
    expect(openapi.openapi).toBe('3.1.0');
    expect(openapi.servers).toEqual([{ url: '/api/v1' }]);
    const paths = Object.keys(openapi.paths);
    for (const path of [
      '/charge-points',
      '/charge-points/{id}',
      '/charge-points/{id}/rotate-key',
      '/charge-points/{id}/status-history',
      '/charge-points/{id}/transactions/{txId}',
      '/transactions',
      '/transactions.csv',
      '/transactions/{id}',
      '/transactions/{id}/meter-samples',
      '/audit-log',
      '/orphans',
      '/id-tags',
      '/id-tags/{idTag}',
      '/settings/tariff',
      '/reservations',
      '/charge-points/{id}/charging-profiles',
      '/api-keys',
    ]) {
      expect(paths, path).toContain(path);
    }
    for (const action of CENTRAL_SYSTEM_ACTIONS) expect(paths).toContain(`/charge-points/{id}/commands/${action}`);
    expect(paths.every((p) => !p.startsWith('/api/v1'))).toBe(true);
    // Every operation documents its answers; writes document their body; errors share one schema.
    for (const [path, item] of Object.entries<Record<string, any>>(openapi.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        expect(Object.keys(op.responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
        if (method === 'post' && path.includes('/commands/')) expect(op.requestBody, `${method} ${path}`).toBeDefined();
      }
    }
    expect(openapi.paths['/transactions'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['chargePointId', 'idTag', 'status', 'from', 'to', 'limit', 'offset']),
    );
    expect(openapi.paths['/openapi.json'].get.security).toEqual([]);
    expect(openapi.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
