import { describe, expect, it } from 'vitest';
import { ConnectionLimits, normalizeIp, type ConnectionSlot } from './connection-limits.js';

const slot = (value: ConnectionSlot | string): ConnectionSlot => {
  if (typeof value === 'string') throw new Error(`refused: ${value}`);
  return value;
};

describe('ConnectionLimits', () => {
  it('caps handshakes in progress per address', () => {
    const limits = new ConnectionLimits({ maxConnectionsPerIp: 10, maxPendingHandshakesPerIp: 2, maxPendingHandshakes: 100 });
    const a = slot(limits.tryAcquire('10.0.0.1'));
    slot(limits.tryAcquire('10.0.0.1'));
    expect(limits.tryAcquire('10.0.0.1')).toBe('too-many-pending-handshakes');
    expect(typeof limits.tryAcquire('10.0.0.2')).toBe('object');
    a.open();
    expect(typeof limits.tryAcquire('10.0.0.1')).toBe('object');
  });

  it('caps open connections plus handshakes per address', () => {
    const limits = new ConnectionLimits({ maxConnectionsPerIp: 2, maxPendingHandshakesPerIp: 5, maxPendingHandshakes: 100 });
    const a = slot(limits.tryAcquire('10.0.0.1'));
    a.open();
    const b = slot(limits.tryAcquire('10.0.0.1'));
    expect(limits.tryAcquire('10.0.0.1')).toBe('too-many-connections');
    b.release();
    const c = slot(limits.tryAcquire('10.0.0.1'));
    c.open();
    expect(limits.countsFor('10.0.0.1')).toEqual({ pending: 0, open: 2 });
    a.release();
    c.release();
    expect(limits.countsFor('10.0.0.1')).toEqual({ pending: 0, open: 0 });
    expect(limits.totals()).toEqual({ pending: 0, open: 0 });
  });

  it('is idempotent: double release or open-after-release changes nothing', () => {
    const limits = new ConnectionLimits({ maxConnectionsPerIp: 5, maxPendingHandshakesPerIp: 5, maxPendingHandshakes: 100 });
    const a = slot(limits.tryAcquire('::1'));
    const b = slot(limits.tryAcquire('::1'));
    a.open();
    a.open();
    a.release();
    a.release();
    a.open();
    expect(limits.countsFor('::1')).toEqual({ pending: 1, open: 0 });
    b.release();
    expect(limits.totals()).toEqual({ pending: 0, open: 0 });
  });

  it('counts IPv4-mapped IPv6 addresses as the IPv4 address', () => {
    const limits = new ConnectionLimits({ maxConnectionsPerIp: 1, maxPendingHandshakesPerIp: 5, maxPendingHandshakes: 100 });
    slot(limits.tryAcquire('::ffff:192.168.1.5'));
    expect(limits.tryAcquire('192.168.1.5')).toBe('too-many-connections');
    expect(normalizeIp('::ffff:192.168.1.5')).toBe('192.168.1.5');
    expect(normalizeIp('::1')).toBe('::1');
    expect(normalizeIp(undefined)).toBe('unknown');
  });

  it('caps handshakes in progress over all addresses (server-busy), before counting any address', () => {
    const limits = new ConnectionLimits({ maxConnectionsPerIp: 10, maxPendingHandshakesPerIp: 10, maxPendingHandshakes: 3 });
    const a = slot(limits.tryAcquire('10.0.0.1'));
    slot(limits.tryAcquire('10.0.0.2'));
    const c = slot(limits.tryAcquire('10.0.0.3'));
    expect(limits.tryAcquire('10.0.0.4')).toBe('server-busy');
    expect(limits.countsFor('10.0.0.4')).toEqual({ pending: 0, open: 0 });
    a.open(); // an open connection no longer holds a handshake slot
    const d = slot(limits.tryAcquire('10.0.0.4'));
    expect(limits.tryAcquire('10.0.0.5')).toBe('server-busy');
    c.release();
    d.release();
    d.release(); // idempotent: frees one slot, not two
    slot(limits.tryAcquire('10.0.0.5'));
    slot(limits.tryAcquire('10.0.0.6'));
    expect(limits.tryAcquire('10.0.0.7')).toBe('server-busy');
    expect(limits.totals()).toEqual({ pending: 3, open: 1 });
  });

  it('accepts Infinity as "no cap"', () => {
    const limits = new ConnectionLimits({ maxConnectionsPerIp: Infinity, maxPendingHandshakesPerIp: Infinity, maxPendingHandshakes: Infinity });
    for (let i = 0; i < 1000; i++) slot(limits.tryAcquire('10.0.0.1'));
    expect(limits.countsFor('10.0.0.1').pending).toBe(1000);
  });
});
