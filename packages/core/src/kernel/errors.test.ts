import { describe, expect, it } from 'vitest';
import { CsmsError, CsmsErrorCode, isCsmsError } from './errors.js';

/**
 * isCsmsError must recognise errors from a second copy of the class (two installed versions of
 * @charge-it/core, or the edge runtime's kernel next to the core's dist): a `Symbol.for` brand,
 * not `instanceof`. The second copy is a second instance of this very module, loaded under another
 * URL (Vite keys modules by URL, query included), so its class is a different function.
 */
describe('isCsmsError across two copies of the error class', () => {
  it('recognises an error made by the other copy, and the other copy recognises ours', async () => {
    const secondCopy = './errors.ts?second-copy';
    const other = (await import(/* @vite-ignore */ secondCopy)) as typeof import('./errors.js');
    expect(other.CsmsError).not.toBe(CsmsError);
    const theirs = new other.CsmsError(other.CsmsErrorCode.SERVICE_MISSING, 'no service named "ml"');
    expect(theirs instanceof CsmsError).toBe(false);
    expect(isCsmsError(theirs)).toBe(true);
    expect(isCsmsError(theirs, CsmsErrorCode.SERVICE_MISSING)).toBe(true);
    expect(isCsmsError(theirs, CsmsErrorCode.CONFLICT)).toBe(false);
    const ours = new CsmsError(CsmsErrorCode.CONFLICT, 'exists');
    expect(other.isCsmsError(ours, other.CsmsErrorCode.CONFLICT)).toBe(true);
  });

  it('is false for look-alikes and non-errors; the brand stays out of JSON', () => {
    expect(isCsmsError(Object.assign(new Error('x'), { code: CsmsErrorCode.CONFLICT, name: 'CsmsError' }))).toBe(false);
    expect(isCsmsError({ code: CsmsErrorCode.CONFLICT })).toBe(false);
    expect(isCsmsError(null)).toBe(false);
    expect(isCsmsError('CSMS_ERR_CONFLICT')).toBe(false);
    const err = new CsmsError(CsmsErrorCode.NOT_FOUND, 'gone', { details: { id: 1 } });
    expect(Object.keys(err)).not.toContain(Symbol.for('charge-it.CsmsError').toString());
    expect(JSON.parse(JSON.stringify(err))).toEqual({ name: 'CsmsError', code: CsmsErrorCode.NOT_FOUND, details: { id: 1 } });
  });
});
