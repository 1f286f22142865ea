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

/**
 * ocpp-rpc's Validator as it behaves for these schemas (none is `$async`): `validate` returns true
 * or throws, never a promise (its declared `boolean | Promise<unknown>` would make every call look
 * like a floating promise to the linter).
 */
export type Ocpp16Validator = { validate(schemaId: string, params: unknown): true } & Validator;

/** The validator to pass to RPCServer `strictModeValidators` for subprotocol `ocpp1.6`. */
export function createOcpp16Validator(patches: readonly SchemaPatch[] = OCPP16_SCHEMA_PATCHES): Ocpp16Validator {
  return createValidator('ocpp1.6', patchOcpp16Schemas(loadOcpp16Schemas(), patches)) as Ocpp16Validator;
}

/** Why a transaction message was accepted although it breaks the 1.6 schema (see `schemaViolationOf`). */
export interface SchemaViolation {
  /** The first failing JSON-schema keyword and its JSON pointer, e.g. `enum` at `/meterValue/0/sampledValue/0/unit`. */
  keyword: string;
  path: string;
  /** ajv's text of every failure (cut to 500 characters). */
  message: string;
}

/**
 * The readable core of each transaction message: what the handlers need to keep the transaction
 * record right. A message that breaks the full schema but passes this one is processed (and
 * answered with a CALLRESULT, DESIGN.md), its violation recorded for the handler to flag.
 */
const READABLE_CORE: Record<string, JsonSchema> = {
  'urn:StartTransaction.req': {
    type: 'object',
    required: ['connectorId', 'idTag', 'meterStart', 'timestamp'],
    properties: { connectorId: { type: 'integer' }, idTag: { type: 'string' }, meterStart: { type: 'integer' }, timestamp: { type: 'string' }, reservationId: { type: 'integer' } },
  },
  'urn:StopTransaction.req': {
    type: 'object',
    required: ['transactionId', 'meterStop', 'timestamp'],
    properties: {
      transactionId: { type: 'integer' },
      meterStop: { type: 'integer' },
      timestamp: { type: 'string' },
      idTag: { type: 'string' },
      reason: { type: 'string' },
      transactionData: { type: 'array', items: { $ref: '#/definitions/meterValue' } },
    },
  },
  'urn:MeterValues.req': {
    type: 'object',
    required: ['connectorId', 'meterValue'],
    properties: { connectorId: { type: 'integer' }, transactionId: { type: 'integer' }, meterValue: { type: 'array', items: { $ref: '#/definitions/meterValue' } } },
  },
};
const METER_VALUE_CORE: JsonSchema = {
  type: 'object',
  required: ['timestamp', 'sampledValue'],
  properties: {
    timestamp: { type: 'string' },
    sampledValue: {
      type: 'array',
      items: {
        type: 'object',
        required: ['value'],
        properties: { value: { type: 'string' }, context: { type: 'string' }, format: { type: 'string' }, measurand: { type: 'string' }, phase: { type: 'string' }, location: { type: 'string' }, unit: { type: 'string' } },
      },
    },
  },
};

const violations = new WeakMap<object, SchemaViolation>();

/** The schema violation a transaction message was let through with, if any (keyed by the params object the handler gets). */
export function schemaViolationOf(params: unknown): SchemaViolation | undefined {
  return typeof params === 'object' && params !== null ? violations.get(params) : undefined;
}

/**
 * The validator the gateway gives ocpp-rpc: strict for every message, except that a
 * StartTransaction, StopTransaction or MeterValues that breaks the schema but whose readable core
 * (ids, meter readings, timestamps, sampled values as strings) is intact passes; its violation is
 * kept for `schemaViolationOf(params)`. ocpp-rpc passes the same params object to the handler.
 */
export function createGatewayValidator(patches: readonly SchemaPatch[] = OCPP16_SCHEMA_PATCHES): Ocpp16Validator {
  const strict = createOcpp16Validator(patches);
  const coreCheck = createValidator(
    'ocpp1.6',
    Object.entries(READABLE_CORE).map(([id, schema]) => ({ ...schema, $id: id, definitions: { meterValue: METER_VALUE_CORE } })),
  ) as Ocpp16Validator;
  const lenient = Object.create(strict) as Ocpp16Validator;
  const passes = compiledSchemas(strict);
  lenient.validate = (schemaId: string, params: unknown): true => {
    if (passes(schemaId, params)) return true;
    try {
      return strict.validate(schemaId, params); // throws the CALLERROR ocpp-rpc would answer
    } catch (err) {
      if (!(schemaId in READABLE_CORE) || typeof params !== 'object' || params === null) throw err;
      try {
        coreCheck.validate(schemaId, params);
      } catch {
        throw err; // not even the core is readable: the strict CALLERROR stands
      }
      const first = (err as { details?: { errors?: Array<{ keyword?: string; instancePath?: string }> } }).details?.errors?.[0];
      violations.set(params, {
        keyword: first?.keyword ?? 'unknown',
        path: first?.instancePath ?? '',
        message: String((err as Error).message).slice(0, 500),
      });
      return true;
    }
  };
  return lenient;
}

/**
 * Whether `params` passes the schema, by the compiled ajv function looked up once per schema id.
 * ocpp-rpc's `validate` asks ajv for the function on every message, and ajv normalises the id
 * each time (2 % of a MeterValues flood). A failure (or a validator without ajv inside) is left to
 * ocpp-rpc's `validate`, which builds the CALLERROR.
 */
function compiledSchemas(validator: Validator): (schemaId: string, params: unknown) => boolean {
  const ajv = (validator as unknown as { _ajv?: { getSchema(id: string): ((data: unknown) => boolean) | undefined } })._ajv;
  if (typeof ajv?.getSchema !== 'function') return () => false;
  const compiled = new Map<string, ((data: unknown) => boolean) | undefined>();
  return (schemaId, params) => {
    let check = compiled.get(schemaId);
    if (check === undefined && !compiled.has(schemaId)) compiled.set(schemaId, (check = ajv.getSchema(schemaId)));
    return check?.(params) === true;
  };
}
