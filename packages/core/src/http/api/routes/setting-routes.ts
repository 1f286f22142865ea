import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SettingKey, Settings } from '../../../domain/settings/settings-service.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { errors, nullable, strictObject } from '../schemas.js';
import { invalid } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const admin: ApiRouteConfig = { apiRole: 'admin' };

const wholeIdr = (description: string) => ({ type: 'integer', minimum: 0, description: `${description} (whole IDR).` });

const VALUE_SCHEMAS: Record<SettingKey, Record<string, unknown>> = {
  tariff: strictObject(
    {
      energyPricePerKwh: wholeIdr('Energy price per kWh'),
      pricePerMinute: wholeIdr('Price per minute of a session; 0 = none'),
      idleFeePerMinute: wholeIdr('Idle fee per minute after charging ended while the car stays plugged in; 0 = none'),
      idleGraceMinutes: { type: 'integer', minimum: 0, description: 'Minutes of grace before the idle fee starts.' },
      taxPercent: { type: 'number', minimum: 0, maximum: 100, description: 'PPN (VAT) in percent, added on top.' },
    },
    ['energyPricePerKwh', 'pricePerMinute', 'idleFeePerMinute', 'idleGraceMinutes', 'taxPercent'],
  ),
  site: strictObject(
    {
      maxGridPowerKw: nullable({ type: 'number', exclusiveMinimum: 0, description: 'Site grid limit in kW; null = no limit (no load management).' }),
      minPowerPerConnectorKw: { type: 'number', minimum: 0, description: 'A running session never gets less (unless the site limit cannot cover it).' },
      defaultChargePointMaxKw: { type: 'number', exclusiveMinimum: 0, description: 'Maximum of a charger whose own maximum is unknown.' },
    },
    ['maxGridPowerKw', 'minPowerPerConnectorKw', 'defaultChargePointMaxKw'],
  ),
  billing: strictObject(
    {
      billUnauthorizedSessions: {
        type: 'boolean',
        description: 'Bill sessions whose idTag was not Accepted (offline starts flagged id-tag-invalid, ...). Off (default): cost 0, price kept in costBreakdown.notBilled, flagged not-billed for review.',
      },
    },
    ['billUnauthorizedSessions'],
  ),
  maintenanceMode: { type: 'boolean', description: 'On: every connector is made Inoperative (also on chargers that connect later); off: Operative again.' },
};

const KEYS = Object.keys(VALUE_SCHEMAS) as SettingKey[];

/** The body as the client sent it, before Fastify's validation coerced or stripped anything. */
const rawBodies = new WeakMap<FastifyRequest, unknown>();

/**
 * Runtime settings (tariff, site limit, maintenance mode). Writes are validated by the settings
 * service, which names every bad field at once (`error.fields`, e.g. `tariff.taxPercent`), so a form
 * can show each problem next to its field; the route schemas document the shapes, but their
 * validation result is set aside (`attachValidation`) in favour of the service's complete answer.
 */
export function registerSettingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/settings',
    {
      config: viewer,
      schema: {
        tags: ['settings'],
        summary: 'All runtime settings',
        response: { 200: { type: 'object', properties: VALUE_SCHEMAS, required: KEYS }, ...errors(401, 403) },
      },
    },
    async () => ctx.settings.all(),
  );

  for (const key of KEYS) {
    const keyed = { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string', enum: [key] }, value: VALUE_SCHEMAS[key] } };

    app.get(
      `/settings/${key}`,
      {
        config: viewer,
        schema: { tags: ['settings'], summary: `The ${key} setting`, response: { 200: keyed, ...errors(401, 403) } },
      },
      async () => ({ key, value: await ctx.settings.get(key) }),
    );

    app.put(
      `/settings/${key}`,
      {
        config: admin,
        attachValidation: true,
        preValidation: async (request) => {
          rawBodies.set(request, structuredClone(request.body));
        },
        schema: {
          tags: ['settings'],
          summary: `Replace the ${key} setting`,
          description: 'Send the whole value. Bad fields → 400 with every problem in `error.fields` (keys like `tariff.taxPercent`). Changes are audited and take effect at once.',
          body: strictObject({ value: VALUE_SCHEMAS[key] }, ['value']),
          response: { 200: keyed, ...errors(400, 401, 403) },
        },
      },
      async (request) => {
        const body = rawBodies.get(request) as { value?: unknown } | undefined;
        if (typeof body !== 'object' || body === null || !('value' in body)) {
          throw invalid('value', 'is required', `invalid body: send { "value": ... } with the new ${key}`);
        }
        const value = await ctx.settings.set(key, body.value as Settings[typeof key], actorOf(request));
        return { key, value };
      },
    );

    const valueSchema = VALUE_SCHEMAS[key] as { type?: string; properties?: Record<string, unknown> };
    if (valueSchema.type !== 'object' || !valueSchema.properties) continue;
    app.patch(
      `/settings/${key}`,
      {
        config: admin,
        attachValidation: true,
        preValidation: async (request) => {
          rawBodies.set(request, structuredClone(request.body));
        },
        schema: {
          tags: ['settings'],
          summary: `Change some fields of the ${key} setting`,
          description: 'Send `{ "value": { <only the fields to change> } }`; the others keep their value. Bad or unknown fields → 400 with each one in `error.fields`.',
          body: strictObject({ value: { type: 'object', properties: valueSchema.properties, additionalProperties: false } }, ['value']),
          response: { 200: keyed, ...errors(400, 401, 403) },
        },
      },
      async (request) => {
        const body = rawBodies.get(request) as { value?: unknown } | undefined;
        if (typeof body !== 'object' || body === null || !('value' in body) || typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) {
          throw invalid('value', 'is required: an object with the fields to change', `invalid body: send { "value": { ... } } with the ${key} fields to change`);
        }
        const current = (await ctx.settings.get(key)) as unknown as Record<string, unknown>;
        const value = await ctx.settings.set(key, { ...current, ...(body.value as Record<string, unknown>) } as unknown as Settings[typeof key], actorOf(request));
        return { key, value };
      },
    );
  }
}
