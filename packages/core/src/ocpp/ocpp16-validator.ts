import { createRequire } from 'node:module';
import { createValidator } from 'ocpp-rpc';
import type { Validator } from 'ocpp-rpc/lib/validator.js';

/**
 * The strict-mode validator for `ocpp1.6`: ocpp-rpc's own 1.6 JSON schemas (the OCA schemas plus
 * the security-whitepaper messages), with a short list of patches for field quirks that would
 * otherwise make us answer a data-bearing message with a CALLERROR. A CALLERROR on
 * StartTransaction, StopTransaction or MeterValues makes the charger retry and then drop the
 * message for good (S16 §3.7.1), so for those three a cosmetic deviation must not fail validation.
 *
 * Every patch is data (below), applied to a deep copy of the schemas; ocpp-rpc's shared copy,
 * which its built-in validator uses, is never touched.
 */

/** One JSON schema of the ocpp-rpc schema file (`$id` is `urn:<Action>.req|conf`). */
export interface JsonSchema {
  $id?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  [keyword: string]: unknown;
}

export type SchemaPatch =
  | {
      /** Adds values to the `enum` of every property with this name, at any depth. */
      kind: 'addEnumValues';
      schemas: readonly string[];
      property: string;
      values: readonly string[];
      reason: string;
    }
  | {
      /** Drops `additionalProperties: false` at every depth, so unknown (vendor) fields pass. */
      kind: 'allowAdditionalProperties';
      schemas: readonly string[];
      reason: string;
    };

const TRANSACTION_MESSAGES = [
  'urn:StartTransaction.req',
  'urn:StopTransaction.req',
  'urn:MeterValues.req',
] as const;

/**
 * The patches in force. Not needed, because ocpp-rpc's schema already has them: `Celsius` next to
 * the 1.6 misspelling `Celcius` (errata), and timestamps without a UTC offset (ajv-formats 2
 * accepts them).
 */
export const OCPP16_SCHEMA_PATCHES: readonly SchemaPatch[] = [
  {
    kind: 'addEnumValues',
    schemas: ['urn:MeterValues.req', 'urn:StopTransaction.req'],
    property: 'unit',
    values: ['Hz'],
    reason:
      'OCPP 1.6 has the Frequency measurand but no unit for it; chargers send the 2.0.1 unit "Hz". ' +
      'Rejecting the sample would lose the whole MeterValues/StopTransaction.',
  },
  {
    kind: 'allowAdditionalProperties',
    schemas: TRANSACTION_MESSAGES,
    reason:
      'A vendor field in a transaction message must not cost the transaction record: the charger ' +
      'would retry and then drop the message. Unknown fields are ignored by the handlers.',
  },
];

function visit(schema: JsonSchema, fn: (node: JsonSchema) => void): void {
  fn(schema);
  for (const child of Object.values(schema.properties ?? {})) visit(child, fn);
  const items = schema.items;
  if (Array.isArray(items)) items.forEach((item) => visit(item, fn));
  else if (items !== undefined) visit(items, fn);
  if (typeof schema.additionalProperties === 'object') visit(schema.additionalProperties, fn);
}

function applyPatch(schema: JsonSchema, patch: SchemaPatch): number {
  let changes = 0;
  visit(schema, (node) => {
    if (patch.kind === 'addEnumValues') {
      const target = node.properties?.[patch.property];
      if (target?.enum) {
        for (const value of patch.values) {
          if (!target.enum.includes(value)) {
            target.enum.push(value);
            changes++;
          }
        }
      }
    } else if (node.additionalProperties === false) {
      delete node.additionalProperties;
      changes++;
    }
  });
  return changes;
}

/**
 * Returns a patched deep copy of `schemas`. Throws when a patch names a schema that does not
 * exist or changes nothing, so a schema update in ocpp-rpc cannot silently void a patch.
 */
export function patchOcpp16Schemas(
  schemas: readonly JsonSchema[],
  patches: readonly SchemaPatch[] = OCPP16_SCHEMA_PATCHES,
): JsonSchema[] {
  const copy = structuredClone(schemas) as JsonSchema[];
  const byId = new Map(copy.map((schema) => [schema.$id, schema]));
  for (const patch of patches) {
    for (const id of patch.schemas) {
      const schema = byId.get(id);
      if (!schema) throw new Error(`OCPP 1.6 schema patch (${patch.kind}) names unknown schema '${id}'`);
      if (applyPatch(schema, patch) === 0) {
        throw new Error(`OCPP 1.6 schema patch (${patch.kind}) changes nothing in '${id}'; remove or fix it`);
      }
    }
  }
  return copy;
}

/** ocpp-rpc's 1.6 schema file, loaded from the package (not bundled into our dist). */
export function loadOcpp16Schemas(): readonly JsonSchema[] {
  const require = createRequire(import.meta.url);
  return require('ocpp-rpc/lib/schemas/ocpp1_6.json') as JsonSchema[];
}

/** The validator to pass to RPCServer `strictModeValidators` for subprotocol `ocpp1.6`. */
export function createOcpp16Validator(patches: readonly SchemaPatch[] = OCPP16_SCHEMA_PATCHES): Validator {
  return createValidator('ocpp1.6', patchOcpp16Schemas(loadOcpp16Schemas(), patches));
}
