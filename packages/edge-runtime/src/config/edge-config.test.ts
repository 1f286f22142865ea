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
});
