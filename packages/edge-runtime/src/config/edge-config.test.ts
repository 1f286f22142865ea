import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from './edge-config.js';

describe('loadEdgeConfig', () => {
  it('fills defaults and lets env vars win', () => {
    const c = loadEdgeConfig({ identity: 'CP-1', csmsUrl: 'ws://x/ocpp/', dataDir: '/tmp/x' }, { CHARGE_IT_EDGE_CONNECTORS: '2', CHARGE_IT_EDGE_IDENTITY: 'CP-9' });
    expect(c.identity).toBe('CP-9');
    expect(c.csmsUrl).toBe('ws://x/ocpp');
    expect(c.connectors).toHaveLength(2);
    expect(c.boot.chargePointVendor).toBe('Charge-IT');
  });
  it('rejects bad values with the field name', () => {
    expect(() => loadEdgeConfig({ identity: 'CP 1', csmsUrl: 'ws://x' }, {})).toThrow(/identity/);
    expect(() => loadEdgeConfig({ identity: 'CP1', csmsUrl: 'http://x' }, {})).toThrow(/csmsUrl/);
    expect(() => loadEdgeConfig({ identity: 'CP1', csmsUrl: 'ws://x', connectors: [] }, {})).toThrow(/connectors/);
  });
  it('validates connectors[].cable and says how to fix it', () => {
    const load = (cable: unknown) => () => loadEdgeConfig({ identity: 'CP1', csmsUrl: 'ws://x', connectors: [{}, { cable }] } as Record<string, unknown>, {});
    expect(load('sometimes')).toThrow(/connectors\[1\]\.cable\.kind: "sometimes" is unknown; use one of "always", "manual", "gpio", "modbus", "power", "command"/);
    expect(load({ kind: 'gpio' })).toThrow(/connectors\[1\]\.cable\.line: must be the GPIO line number/);
    expect(load({ kind: 'gpio', line: 17, activeLevel: 'up' })).toThrow(/activeLevel: must be "high" or "low"/);
    expect(load({ kind: 'gpio', line: 17, debounceMs: -1 })).toThrow(/debounceMs: must be a number of milliseconds >= 0/);
    expect(load({ kind: 'power' })).toThrow(/thresholdW: must be a power in W > 0/);
    expect(load({ kind: 'modbus', register: { address: 3 }, connection: { kind: 'modbus-tcp', host: 'h', port: 502 }, connectedWhen: {} })).toThrow(/connectedWhen: must give "equals"/);
    expect(load({ kind: 'command', socket: '' })).toThrow(/socket: must be a path for a unix socket/);
    expect(load(42)).toThrow(/connectors\[1\]\.cable: must be one of/);
    const ok = loadEdgeConfig({ identity: 'CP1', csmsUrl: 'ws://x', connectors: [{ cable: { kind: 'gpio', line: 17, activeLevel: 'low' } }, { cable: 'command' }] }, {});
    expect(ok.connectors.map((c) => c.cable)).toEqual([{ kind: 'gpio', line: 17, activeLevel: 'low' }, { kind: 'command' }]);
  });
});
