import { describe, expect, it } from 'vitest';
import { createValidator } from 'ocpp-rpc';
import {
  MAX_DESCRIPTION_LENGTH,
  OCPP16_ERROR_CODES,
  SCHEMA_KEYWORD_CODES,
  rewriteOutgoingFrame,
  toOcpp16CallError,
} from './ocpp16-errors.js';
import { createOcpp16Validator, type Ocpp16Validator } from './ocpp16-validator.js';

/** The frame ocpp-rpc 2.2.1 would send for an error thrown by its validator. */
function schemaFrame(schemaId: string, payload: unknown, validator = createOcpp16Validator()): unknown[] {
  try {
    validator.validate(schemaId, payload);
  } catch (err) {
    const e = err as { rpcErrorCode: string; message: string; details: unknown };
    // ocpp-rpc's own 1.6 "workaround" (client.js _onCall) runs before the frame is sent.
    const code =
      e.rpcErrorCode === 'FormatViolation'
        ? 'FormationViolation'
        : e.rpcErrorCode === 'OccurenceConstraintViolation'
          ? 'OccurrenceConstraintViolation'
          : e.rpcErrorCode;
    return [4, 'm1', code, e.message, e.details];
  }
  throw new Error(`payload unexpectedly valid for ${schemaId}`);
}

const status = (extra: Record<string, unknown>) => ({
  connectorId: 1,
  errorCode: 'NoError',
  status: 'Available',
  ...extra,
});

describe('toOcpp16CallError: frame-level errors from ocpp-rpc', () => {
  it.each([
    ['Message must be a JSON structure', '-1'],
    ['Message must be an array', '-1'],
    ['Message type must be a number', '-1'],
    ['Message ID must be a string', '-1'],
    ['Method must be a string', 'abc'],
  ])('RpcFrameworkError "%s" → FormationViolation', (description, id) => {
    expect(toOcpp16CallError([4, id, 'RpcFrameworkError', description, {}])).toEqual([
      4,
      id,
      'FormationViolation',
      description,
      {},
    ]);
  });

  it('unknown message type → null: not answered (J16 §4.1.3)', () => {
    expect(toOcpp16CallError([4, '-1', 'MessageTypeNotSupported', 'Unrecognised message type', {}])).toBeNull();
    expect(rewriteOutgoingFrame('[4,"-1","MessageTypeNotSupported","Unrecognised message type",{}]')).toBeNull();
  });

  it('unknown action with per-action handlers → NotImplemented, unchanged', () => {
    expect(toOcpp16CallError([4, 'm', 'NotImplemented', "Unable to handle 'Foo' calls", {}])).toEqual([
      4,
      'm',
      'NotImplemented',
      "Unable to handle 'Foo' calls",
      {},
    ]);
  });

  it('unknown action with a wildcard handler (missing schema, ProtocolError) → NotImplemented', () => {
    const frame = [4, 'm', 'ProtocolError', "Schema 'urn:bootNotification.req' is missing from subprotocol schema 'ocpp1.6'", {}];
    expect(toOcpp16CallError(frame)).toEqual([4, 'm', 'NotImplemented', "Unable to handle 'bootNotification' calls", {}]);
  });

  it('a ProtocolError that is not about a missing schema stays ProtocolError', () => {
    expect(toOcpp16CallError([4, 'm', 'ProtocolError', 'Payload incomplete', {}])?.[2]).toBe('ProtocolError');
  });
});

describe('toOcpp16CallError: schema errors by ajv keyword', () => {
  const validator = createOcpp16Validator();
  it.each([
    ['required', 'urn:StatusNotification.req', { errorCode: 'NoError', status: 'Available' }, 'OccurenceConstraintViolation', { keyword: 'required', path: '', property: 'connectorId' }],
    ['type', 'urn:StatusNotification.req', status({ connectorId: '1' }), 'TypeConstraintViolation', { keyword: 'type', path: '/connectorId' }],
    ['type (null payload)', 'urn:Heartbeat.req', null, 'TypeConstraintViolation', { keyword: 'type', path: '' }],
    ['enum', 'urn:StatusNotification.req', status({ status: 'Bad' }), 'PropertyConstraintViolation', { keyword: 'enum', path: '/status' }],
    ['maxLength', 'urn:StatusNotification.req', status({ info: 'x'.repeat(51) }), 'PropertyConstraintViolation', { keyword: 'maxLength', path: '/info' }],
    ['format', 'urn:StatusNotification.req', status({ timestamp: 'yesterday' }), 'PropertyConstraintViolation', { keyword: 'format', path: '/timestamp' }],
    ['additionalProperties', 'urn:Heartbeat.req', { foo: 1 }, 'FormationViolation', { keyword: 'additionalProperties', path: '', property: 'foo' }],
  ])('%s → %s', (_name, schemaId, payload, code, details) => {
    const frame = schemaFrame(schemaId, payload, validator);
    const result = toOcpp16CallError(frame);
    expect(result?.[2]).toBe(code);
    expect(result?.[4]).toEqual(details);
    expect(result?.[1]).toBe('m1');
  });

  it('uses the keyword, not ocpp-rpc’s code (which maps enum/maxLength to FormatViolation)', () => {
    const frame = schemaFrame('urn:StatusNotification.req', status({ status: 'Bad' }), validator);
    expect(frame[2]).toBe('FormationViolation');
    expect(toOcpp16CallError(frame)?.[2]).toBe('PropertyConstraintViolation');
  });

  it('maps minItems/maxItems from the upstream validator too', () => {
    const upstream = createValidator('ocpp1.6', [
      {
        $id: 'urn:Test.req',
        type: 'object',
        properties: { list: { type: 'array', minItems: 1, maxItems: 2 } },
      },
    ]) as Ocpp16Validator;
    expect(toOcpp16CallError(schemaFrame('urn:Test.req', { list: [] }, upstream))?.[2]).toBe('OccurenceConstraintViolation');
    expect(toOcpp16CallError(schemaFrame('urn:Test.req', { list: [1, 2, 3] }, upstream))?.[2]).toBe(
      'OccurenceConstraintViolation',
    );
  });

  it('maps every keyword of the table to a Table 7 code', () => {
    for (const [keyword, code] of Object.entries(SCHEMA_KEYWORD_CODES)) {
      const result = toOcpp16CallError([4, 'm', 'FormatViolation', 'x', { errors: [{ keyword, instancePath: '/a' }], data: {} }]);
      expect(result?.[2], keyword).toBe(code);
      expect(OCPP16_ERROR_CODES).toContain(code);
    }
  });

  it('an unknown keyword → FormationViolation', () => {
    const result = toOcpp16CallError([4, 'm', 'FormatViolation', 'x', { errors: [{ keyword: 'if', instancePath: '' }] }]);
    expect(result?.[2]).toBe('FormationViolation');
  });

  it('never echoes the payload back, and caps attacker-chosen strings', () => {
    const secret = { foo: 'SECRET-PAYLOAD', ['k'.repeat(500)]: 1 };
    const frame = schemaFrame('urn:Heartbeat.req', secret, validator);
    expect(JSON.stringify(frame)).toContain('SECRET-PAYLOAD');
    const result = toOcpp16CallError(frame);
    expect(JSON.stringify(result)).not.toContain('SECRET-PAYLOAD');
    expect(JSON.stringify(result).length).toBeLessThan(400);
  });
});

describe('toOcpp16CallError: codes and spellings', () => {
  it.each(OCPP16_ERROR_CODES.map((code) => [code]))('%s passes unchanged', (code) => {
    expect(toOcpp16CallError([4, 'm', code, 'd', {}])).toEqual([4, 'm', code, 'd', {}]);
  });

  it.each([
    ['FormatViolation', 'FormationViolation'],
    ['OccurrenceConstraintViolation', 'OccurenceConstraintViolation'],
    ['RpcFrameworkError', 'FormationViolation'],
    ['SomethingNew', 'GenericError'],
    ['', 'GenericError'],
  ])('%s (no schema details) → %s', (from, to) => {
    expect(toOcpp16CallError([4, 'm', from, 'd', {}])?.[2]).toBe(to);
  });

  it('a non-string code or id is repaired', () => {
    expect(toOcpp16CallError([4, 17, 42, null, null])).toEqual([4, '-1', 'GenericError', '', {}]);
  });

  it('no 2.0.1-only or misspelled code can leave', () => {
    const inputs = [
      'FormatViolation',
      'RpcFrameworkError',
      'MessageTypeNotSupported',
      'OccurrenceConstraintViolation',
      'SecurityError',
      'GenericError',
      'anything',
    ];
    for (const code of inputs) {
      const result = toOcpp16CallError([4, 'm', code, '', { errors: [{ keyword: 'required' }] }]);
      if (result) expect(OCPP16_ERROR_CODES).toContain(result[2]);
    }
  });

  it('keeps small handler details, drops large ones and ajv data', () => {
    expect(toOcpp16CallError([4, 'm', 'InternalError', 'd', { retryable: true }])?.[4]).toEqual({ retryable: true });
    expect(toOcpp16CallError([4, 'm', 'InternalError', 'd', { blob: 'x'.repeat(1000) }])?.[4]).toEqual({});
    expect(toOcpp16CallError([4, 'm', 'GenericError', 'd', { data: { a: 1 } }])?.[4]).toEqual({});
    expect(toOcpp16CallError([4, 'm', 'GenericError', 'd', ['array']])?.[4]).toEqual({});
  });

  it('caps the description', () => {
    const long = `Unable to handle '${'A'.repeat(10_000)}' calls`;
    const result = toOcpp16CallError([4, 'm', 'NotImplemented', long, {}]);
    expect(result?.[3].length).toBeLessThanOrEqual(MAX_DESCRIPTION_LENGTH);
  });
});

describe('rewriteOutgoingFrame', () => {
  it('passes non-CALLERROR frames through untouched (same string)', () => {
    const result = '[3,"m",{"currentTime":"2024-01-01T00:00:00Z"}]';
    const call = '[2,"m","Reset",{"type":"Soft"}]';
    expect(rewriteOutgoingFrame(result)).toBe(result);
    expect(rewriteOutgoingFrame(call)).toBe(call);
    expect(rewriteOutgoingFrame('[40,"x"]')).toBe('[40,"x"]');
    expect(rewriteOutgoingFrame('[4, broken')).toBe('[4, broken');
  });

  it('rewrites CALLERRORs', () => {
    expect(rewriteOutgoingFrame('[4,"-1","RpcFrameworkError","Message must be an array",{}]')).toBe(
      '[4,"-1","FormationViolation","Message must be an array",{}]',
    );
  });
});
