import { describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../../kernel/errors.js';
import { describeValidationErrors, httpStatusFor } from './api-errors.js';

describe('API errors', () => {
  it('maps error codes to HTTP statuses', () => {
    expect(httpStatusFor(CsmsErrorCode.INPUT_INVALID)).toBe(400);
    expect(httpStatusFor(CsmsErrorCode.COMMAND_INVALID)).toBe(400);
    expect(httpStatusFor(CsmsErrorCode.SETTING_INVALID)).toBe(400);
    expect(httpStatusFor(CsmsErrorCode.UNAUTHORIZED)).toBe(401);
    expect(httpStatusFor(CsmsErrorCode.FORBIDDEN)).toBe(403);
    expect(httpStatusFor(CsmsErrorCode.NOT_FOUND)).toBe(404);
    expect(httpStatusFor(CsmsErrorCode.CHARGE_POINT_UNKNOWN)).toBe(404);
    expect(httpStatusFor(CsmsErrorCode.CONFLICT)).toBe(409);
    expect(httpStatusFor(CsmsErrorCode.CHARGE_POINT_OFFLINE)).toBe(409);
    expect(httpStatusFor(CsmsErrorCode.CALL_NOT_ALLOWED)).toBe(409);
    expect(httpStatusFor(CsmsErrorCode.SERVICE_MISSING)).toBe(501);
    expect(httpStatusFor(CsmsErrorCode.CALL_ERROR)).toBe(502);
    expect(httpStatusFor(CsmsErrorCode.CALL_TIMEOUT)).toBe(504);
    expect(httpStatusFor(CsmsErrorCode.DATABASE)).toBe(500);
  });

  it('names the field of Ajv errors, nested fields dotted', () => {
    expect(
      describeValidationErrors([{ instancePath: '/csChargingProfiles', keyword: 'required', params: { missingProperty: 'stackLevel' }, message: "must have required property 'stackLevel'" }], 'body'),
    ).toEqual({ message: 'invalid body: csChargingProfiles.stackLevel is required', fields: { 'csChargingProfiles.stackLevel': 'is required' } });
    expect(describeValidationErrors([{ instancePath: '/status', keyword: 'enum', params: { allowedValues: ['A', 'B'] }, message: 'x' }], 'body').fields).toEqual({
      status: 'must be one of A, B',
    });
    expect(describeValidationErrors([{ instancePath: '', keyword: 'minProperties', params: { limit: 1 }, message: 'x' }], 'body')).toEqual({
      message: 'invalid body: body must contain at least one field',
      fields: { body: 'must contain at least one field' },
    });
    expect(describeValidationErrors([{ instancePath: '/a~1b', keyword: 'type', params: { type: 'integer' }, message: 'must be integer' }], 'querystring').fields).toEqual({
      'a/b': 'must be integer',
    });
  });
});
