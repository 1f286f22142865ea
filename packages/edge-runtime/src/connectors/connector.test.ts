import { describe, expect, it } from 'vitest';
import { Connector } from './connector.js';

describe('Connector status', () => {
  it('is derived from the facts', () => {
    const c = new Connector(1, 7000);
    expect(c.status()).toBe('Available');
    c.plugged = true;
    expect(c.status()).toBe('Preparing');
    c.transaction = { txLocal: 'x', idTag: 'A', startedAt: '', startMs: 0, meterStartWh: 0, stopTxnData: [] };
    expect(c.status()).toBe('Charging');
    c.evSuspended = true;
    expect(c.status()).toBe('SuspendedEV');
    c.limitW = 0;
    expect(c.status()).toBe('SuspendedEVSE');
    c.transaction = undefined;
    c.finishing = true;
    expect(c.status()).toBe('Finishing');
    c.plugged = false;
    c.reservation = { reservationId: 1, idTag: 'A', expiryDate: '' };
    expect(c.status()).toBe('Reserved');
    c.availability = 'Inoperative';
    expect(c.status()).toBe('Unavailable');
    c.errorCode = 'GroundFailure';
    expect(c.status()).toBe('Faulted');
  });
});
