import { loadOcpp16Schemas, type JsonSchema } from '../../ocpp/ocpp16-validator.js';

/**
 * Request and response schemas of the CS→CP actions for the command routes, taken from
 * ocpp-rpc's OCPP 1.6 JSON schemas (the ones the charge point connection validates against), so
 * the REST API and the wire agree. Cleaned for Fastify and OpenAPI:
 * - `$id` / `$schema` are dropped (they would register global ids in Fastify's Ajv);
 * - `multipleOf: 0.1` (charging limits) is dropped from validation and kept as a note: plain Ajv
 *   rejects 7.3 (7.3 / 0.1 = 72.99999999999999); the OCPP validator that checks the request first
 *   tolerates floating-point error.
 */
function clean(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$id' || key === '$schema') continue;
    if (key === 'multipleOf') {
      out.description = [schema.description, `A multiple of ${String(value)}.`].filter(Boolean).join(' ');
      continue;
    }
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, clean(v)]));
    } else if (key === 'items' && value && typeof value === 'object') {
      out.items = Array.isArray(value) ? (value as JsonSchema[]).map(clean) : clean(value as JsonSchema);
    } else if (key === 'additionalProperties' && value && typeof value === 'object') {
      out.additionalProperties = clean(value as JsonSchema);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

export interface OcppCommandSchemas {
  request: JsonSchema;
  response: JsonSchema;
}

let cache: Map<string, OcppCommandSchemas> | undefined;

/** The cleaned `<action>.req` / `<action>.conf` schemas of one action. */
export function ocppCommandSchemas(action: string): OcppCommandSchemas {
  if (!cache) {
    const byId = new Map(loadOcpp16Schemas().map((s) => [s.$id, s]));
    cache = new Map();
    for (const [id, schema] of byId) {
      const match = /^urn:(\w+)\.req$/.exec(id ?? '');
      const conf = match ? byId.get(`urn:${match[1]}.conf`) : undefined;
      if (match && conf) cache.set(match[1]!, { request: clean(schema), response: clean(conf) });
    }
  }
  const found = cache.get(action);
  if (!found) throw new Error(`ocpp-rpc has no OCPP 1.6 schema for ${action}`);
  return found;
}
