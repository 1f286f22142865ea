import { describe, expect, it, vi } from 'vitest';
import { createValidator } from 'ocpp-rpc';
import {
  OCPP16_SCHEMA_PATCHES,
  createGatewayValidator,
  createOcpp16Validator,
  loadOcpp16Schemas,
  patchOcpp16Schemas,
  type JsonSchema,
  type Ocpp16Validator,
} from './ocpp16-validator.js';

const validator = createOcpp16Validator();
const upstream = createValidator('ocpp1.6', structuredClone(loadOcpp16Schemas()) as JsonSchema[]) as Ocpp16Validator;

function errorOf(v: typeof validator, schemaId: string, payload: unknown): { code: string; keyword: string } | null {
  try {
    v.validate(schemaId, payload);
    return null;
  } catch (err) {
    const e = err as { rpcErrorCode: string; details: { errors?: Array<{ keyword: string }> } };
    return { code: e.rpcErrorCode, keyword: e.details.errors?.[0]?.keyword ?? '' };
  }
}

const meterValues = (sampled: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  connectorId: 1,
  transactionId: 7,
  meterValue: [{ timestamp: '2024-05-01T10:00:00Z', sampledValue: [{ value: '50.0', ...sampled }] }],
  ...extra,
});

const stopTransaction = (extra: Record<string, unknown> = {}) => ({
  meterStop: 1000,
  timestamp: '2024-05-01T10:00:00Z',
  transactionId: 7,
  ...extra,
});

describe('ocpp16 validator patches', () => {
  it('accepts unit "Hz" in MeterValues and StopTransaction (upstream refuses it)', () => {
    const hz = meterValues({ measurand: 'Frequency', unit: 'Hz' });
    expect(errorOf(upstream, 'urn:MeterValues.req', hz)?.keyword).toBe('enum');
    expect(errorOf(validator, 'urn:MeterValues.req', hz)).toBeNull();
    const stop = stopTransaction({
      transactionData: [{ timestamp: '2024-05-01T10:00:00Z', sampledValue: [{ value: '50', unit: 'Hz' }] }],
    });
    expect(errorOf(validator, 'urn:StopTransaction.req', stop)).toBeNull();
  });

  it('keeps accepting both Celcius (1.6) and Celsius (errata) and still refuses made-up units', () => {
    expect(errorOf(validator, 'urn:MeterValues.req', meterValues({ unit: 'Celcius' }))).toBeNull();
    expect(errorOf(validator, 'urn:MeterValues.req', meterValues({ unit: 'Celsius' }))).toBeNull();
    expect(errorOf(validator, 'urn:MeterValues.req', meterValues({ unit: 'Parsec' }))?.keyword).toBe('enum');
  });

  it('accepts timestamps without a UTC offset (no patch needed)', () => {
    const local = meterValues({});
    (local.meterValue[0] as { timestamp: string }).timestamp = '2024-05-01T10:00:00.123';
    expect(errorOf(validator, 'urn:MeterValues.req', local)).toBeNull();
  });

  it('lets vendor fields through in transaction messages, at every depth', () => {
    expect(errorOf(validator, 'urn:MeterValues.req', meterValues({ vendorQuality: 'ok' }, { vendorTag: 1 }))).toBeNull();
    expect(errorOf(validator, 'urn:StopTransaction.req', stopTransaction({ vendorField: true }))).toBeNull();
    expect(
      errorOf(validator, 'urn:StartTransaction.req', {
        connectorId: 1,
        idTag: 'ABC',
        meterStart: 0,
        timestamp: '2024-05-01T10:00:00Z',
        signedMeterValue: 'x',
      }),
    ).toBeNull();
    expect(errorOf(upstream, 'urn:StopTransaction.req', stopTransaction({ vendorField: true }))?.keyword).toBe(
      'additionalProperties',
    );
  });

  it('stays strict everywhere else and on structural errors of transaction messages', () => {
    expect(errorOf(validator, 'urn:Heartbeat.req', { extra: 1 })?.keyword).toBe('additionalProperties');
    expect(
      errorOf(validator, 'urn:BootNotification.req', {
        chargePointVendor: 'V',
        chargePointModel: 'M',
        extra: 1,
      })?.keyword,
    ).toBe('additionalProperties');
    expect(errorOf(validator, 'urn:StopTransaction.req', { meterStop: 1, timestamp: '2024-05-01T10:00:00Z' })?.keyword).toBe(
      'required',
    );
    expect(errorOf(validator, 'urn:MeterValues.req', meterValues({}, { connectorId: '1' }))?.keyword).toBe('type');
    // The patch affects only the reply side it names: confirmations keep additionalProperties false.
    expect(errorOf(validator, 'urn:StartTransaction.conf', { idTagInfo: { status: 'Accepted' }, transactionId: 1, x: 1 })?.keyword).toBe(
      'additionalProperties',
    );
  });

  it('does not modify ocpp-rpc’s shared schema objects', () => {
    const shared = loadOcpp16Schemas().find((schema) => schema.$id === 'urn:StopTransaction.req');
    expect(shared?.additionalProperties).toBe(false);
  });

  it('refuses a patch that names an unknown schema or changes nothing', () => {
    const schemas = loadOcpp16Schemas();
    expect(() =>
      patchOcpp16Schemas(schemas, [{ kind: 'allowAdditionalProperties', schemas: ['urn:Nope.req'], reason: 'test' }]),
    ).toThrow(/unknown schema 'urn:Nope.req'/);
    expect(() =>
      patchOcpp16Schemas(schemas, [
        { kind: 'addEnumValues', schemas: ['urn:Heartbeat.req'], property: 'unit', values: ['Hz'], reason: 'test' },
      ]),
    ).toThrow(/changes nothing/);
  });

  it('documents every patch', () => {
    for (const patch of OCPP16_SCHEMA_PATCHES) expect(patch.reason.length).toBeGreaterThan(20);
  });
});

describe('the gateway validator', () => {
  it('looks up the compiled schema once per schema id (not per message), and still answers a failure with the CALLERROR ocpp-rpc builds', () => {
    const gateway = createGatewayValidator();
    // ocpp-rpc's Validator keeps its ajv in `_ajv`; the gateway validator is built on it.
    const ajv = (Object.getPrototypeOf(gateway) as { _ajv: { getSchema(id: string): unknown } })._ajv;
    const getSchema = vi.spyOn(ajv, 'getSchema');
    for (let i = 0; i < 50; i++) expect(gateway.validate('urn:MeterValues.req', meterValues({ unit: 'Wh' }))).toBe(true);
    expect(getSchema.mock.calls.filter(([id]) => id === 'urn:MeterValues.req')).toHaveLength(1);
    expect(errorOf(gateway as Ocpp16Validator, 'urn:Heartbeat.conf', {})).toEqual({ code: 'OccurenceConstraintViolation', keyword: 'required' });
    expect(() => gateway.validate('urn:NoSuchAction.req', {})).toThrow(/missing/);
  });
});
