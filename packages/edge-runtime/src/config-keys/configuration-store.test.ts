import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configKeyDefinitions } from './config-key-definitions.js';
import { ConfigurationStore } from './configuration-store.js';

describe('ConfigurationStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const make = (initial = {}) => new ConfigurationStore({ definitions: configKeyDefinitions(2), file: join(dir, 'c.json'), initial });

  it('applies initial values, validates changes, and persists only CS changes of writable keys', () => {
    const a = make({ HeartbeatInterval: 60 });
    expect(a.int('HeartbeatInterval')).toBe(60);
    expect(a.int('NumberOfConnectors')).toBe(2);
    expect(a.change('HeartbeatInterval', '90')).toBe('Accepted');
    expect(a.change('HeartbeatInterval', '-1')).toBe('Rejected');
    expect(a.change('NumberOfConnectors', '3')).toBe('Rejected');
    expect(a.change('Nope', '3')).toBe('NotSupported');
    expect(a.change('StopTxnSampledData', 'Energy.Active.Import.Register, SoC')).toBe('Accepted');
    expect(a.csl('StopTxnSampledData')).toEqual(['Energy.Active.Import.Register', 'SoC']);
    expect(a.change('StopTxnSampledData', 'RPM')).toBe('Rejected');
    const b = make({ HeartbeatInterval: 60 });
    expect(b.int('HeartbeatInterval')).toBe(90);
    expect(b.get('StopTxnSampledData')).toBe('Energy.Active.Import.Register,SoC');
  });

  it('rejects bad initial values with a clear error', () => {
    expect(() => make({ Bogus: 1 })).toThrow(/unknown configuration key "Bogus"/);
    expect(() => make({ MeterValueSampleInterval: 'x' })).toThrow(/MeterValueSampleInterval/);
  });

  it('lists known and unknown keys', () => {
    expect(make().list(['HeartbeatInterval', 'X'])).toEqual({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: ['X'] });
  });
});
