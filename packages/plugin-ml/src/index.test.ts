import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageInfo } from './index.js';

describe('@charge-it/plugin-ml', () => {
  it('describes itself consistently with its package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; bin: Record<string, string> };
    expect(packageInfo.name).toBe(pkg.name);
    expect(packageInfo.status).toBe('ready');
    expect(pkg.bin['charge-it-ml']).toBe('./dist/cli.js');
  });
});
