import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optionSpecs } from './schema.js';

describe('docs/configuration.md', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

  it.each(optionSpecs.map((s) => [s.path, s]))('documents %s with its variable and default', (_path, spec) => {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${spec.path}\` |`));
    expect(row, `no table row for ${spec.path}`).toBeDefined();
    expect(row).toContain(`\`${spec.env}\``);
    expect(row).toContain(spec.default === undefined ? '—' : `\`${JSON.stringify(spec.default)}\``);
  });
});
