import { describe, expect, it } from 'vitest';
import { resolvePublicBaseUrl } from './public-base-url.js';

const address = { address: '0.0.0.0', family: 'IPv4', port: 9000 };

describe('resolvePublicBaseUrl', () => {
  it('prefers publicUrl, without a trailing slash', () => {
    expect(resolvePublicBaseUrl({ publicUrl: 'https://csms.example.id/', host: '0.0.0.0', tls: false, address: null })).toBe('https://csms.example.id');
  });

  it('uses the listen address: the configured host, or a LAN address when listening everywhere', () => {
    expect(resolvePublicBaseUrl({ publicUrl: undefined, host: '127.0.0.1', tls: false, address })).toBe('http://127.0.0.1:9000');
    expect(resolvePublicBaseUrl({ publicUrl: undefined, host: '::1', tls: true, address })).toBe('https://[::1]:9000');
    const interfaces = () => ({
      lo: [{ address: '127.0.0.1', family: 'IPv4' as const, internal: true, netmask: '', mac: '', cidr: null }],
      eth0: [{ address: '192.168.1.20', family: 'IPv4' as const, internal: false, netmask: '', mac: '', cidr: null }],
    });
    expect(resolvePublicBaseUrl({ publicUrl: undefined, host: '0.0.0.0', tls: false, address, interfaces })).toBe('http://192.168.1.20:9000');
    expect(resolvePublicBaseUrl({ publicUrl: undefined, host: '0.0.0.0', tls: false, address, interfaces: () => ({}) })).toBe('http://127.0.0.1:9000');
  });

  it('fails clearly before listen without publicUrl', () => {
    expect(() => resolvePublicBaseUrl({ publicUrl: undefined, host: '0.0.0.0', tls: false, address: null })).toThrow(/CHARGE_IT_PUBLIC_URL/);
  });
});
