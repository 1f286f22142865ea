import { describe, expect, it } from 'vitest';
import { connectorPath, normaliseRoot, stationKey, stationPath } from './layout.js';

describe('layout', () => {
  it('keeps ordinary charge point ids as keys and encodes what Firebase forbids, reversibly', () => {
    expect(stationKey('CP-1')).toBe('CP-1');
    expect(stationKey('SPKLU_Jakarta 01')).toBe('SPKLU_Jakarta 01');
    expect(stationKey('a.b#c$d[e]f/g%h')).toBe('a%2Eb%23c%24d%5Be%5Df%2Fg%25h');
    expect(decodeURIComponent(stationKey('a.b#c$d[e]f/g%h'))).toBe('a.b#c$d[e]f/g%h');
  });

  it('builds the v1 paths', () => {
    expect(stationPath('v1', 'CP-1')).toBe('v1/stations/CP-1');
    expect(connectorPath('site-a/v1', 'CP.2', 3)).toBe('site-a/v1/stations/CP%2E2/connectors/3');
  });

  it('normalises the root option and refuses invalid ones', () => {
    expect(normaliseRoot('/v1/')).toBe('v1');
    expect(normaliseRoot('site-a/v1')).toBe('site-a/v1');
    expect(() => normaliseRoot('')).toThrow(/not a valid database path/);
    expect(() => normaliseRoot('a//b')).toThrow(/not a valid database path/);
    expect(() => normaliseRoot('v1.0')).toThrow(/not a valid database path/);
  });
});
