import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md, dependency rules: `core/src/kernel/**` imports neither fastify nor MikroORM (nor the
 * OCPP/websocket/HTTP stack), because the edge runtime reuses it on a Raspberry Pi through
 * `@charge-it/core/kernel`; likewise the OCPP 1.6J payload types it shares through
 * `@charge-it/core/ocpp16` (src/ocpp/v16). Checked on the source text, type-only imports included
 * (they would still drag those packages' types into the published .d.ts files).
 */
const kernelDir = dirname(fileURLToPath(import.meta.url));
const ocppV16Dir = resolve(kernelDir, '../ocpp/v16');

const forbidden: Array<{ what: string; test: (specifier: string) => boolean }> = [
  { what: 'fastify', test: (s) => s === 'fastify' || s.startsWith('fastify/') || s.startsWith('@fastify/') },
  { what: '@mikro-orm/*', test: (s) => s.startsWith('@mikro-orm/') },
  { what: 'ocpp-rpc', test: (s) => s === 'ocpp-rpc' || s.startsWith('ocpp-rpc/') },
  { what: 'ws', test: (s) => s === 'ws' || s.startsWith('ws/') },
  { what: 'node:http', test: (s) => /^(node:)?https?(\/|$)/.test(s) },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier of a file: static and type imports, re-exports, side-effect imports, import(), require(). */
function specifiers(source: string): string[] {
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!));
}

const files = sourceFiles(kernelDir).map((path) => ({
  name: relative(kernelDir, path),
  path,
  specifiers: specifiers(readFileSync(path, 'utf8')),
}));

describe('kernel dependency boundary', () => {
  it('finds the kernel sources and their imports (the check below is not vacuous)', () => {
    const names = files.map((f) => f.name);
    for (const expected of ['errors.ts', 'logger.ts', 'hooks.ts', 'define-plugin.ts', 'plugin-loader.ts', 'index.ts']) {
      expect(names).toContain(expected);
    }
    expect(files.find((f) => f.name === 'hooks.ts')?.specifiers).toContain('./errors.js');
    // The quotes come from a variable so that this file's own text holds no forbidden import.
    const q = "'";
    const sample = `import type { X } from ${q}fastify${q};\nexport * from ${q}ws${q};\nawait import(${q}@mikro-orm/core${q});`;
    expect(specifiers(sample)).toEqual([
      'fastify',
      'ws',
      '@mikro-orm/core',
    ]);
  });

  it.each(files.map((f) => [f.name, f] as const))('%s imports none of fastify, @mikro-orm/*, ocpp-rpc, ws, node:http', (_name, file) => {
    const violations = file.specifiers.flatMap((s) => forbidden.filter((f) => f.test(s)).map((f) => `${s} (${f.what})`));
    expect(violations).toEqual([]);
  });

  it.each(files.map((f) => [f.name, f] as const))('%s imports relative modules only from inside src/kernel', (_name, file) => {
    // Otherwise the rule could be broken one hop away (kernel → ../http/... → fastify).
    const outside = file.specifiers
      .filter((s) => s.startsWith('.'))
      .filter((s) => relative(kernelDir, resolve(dirname(file.path), s)).startsWith('..'));
    expect(outside).toEqual([]);
  });
});

/** The files `@charge-it/core/ocpp16` is built from: src/ocpp/v16/index.ts and what it imports, transitively. */
function subpathFiles(entry: string): Array<{ name: string; path: string; specifiers: string[] }> {
  const seen = new Map<string, { name: string; path: string; specifiers: string[] }>();
  const pending = [entry];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (seen.has(path)) continue;
    const file = { name: relative(ocppV16Dir, path), path, specifiers: specifiers(readFileSync(path, 'utf8')) };
    seen.set(path, file);
    for (const s of file.specifiers) {
      // Only the ones inside src/ocpp/v16 are followed: any other import fails the test below anyway.
      const target = resolve(dirname(path), s.replace(/\.js$/, '.ts'));
      if (s.startsWith('.') && !relative(ocppV16Dir, target).startsWith('..')) pending.push(target);
    }
  }
  return [...seen.values()];
}

const ocppFiles = subpathFiles(join(ocppV16Dir, 'index.ts'));

describe('@charge-it/core/ocpp16 dependency boundary', () => {
  it('finds the subpath sources and their imports (the check below is not vacuous)', () => {
    expect(ocppFiles.map((f) => f.name).sort()).toEqual(['central-system-messages.ts', 'index.ts', 'messages.ts']);
    expect(ocppFiles.find((f) => f.name === 'central-system-messages.ts')?.specifiers).toContain('./messages.js');
  });

  it.each(ocppFiles.map((f) => [f.name, f] as const))('%s imports nothing but other files of src/ocpp/v16 (no package, no node: module)', (_name, file) => {
    // The edge runtime imports this subpath at run time (CENTRAL_SYSTEM_ACTIONS): any package here
    // would become its dependency, and fastify, @mikro-orm/*, ocpp-rpc, ws or node:http would drag
    // the server stack onto the charge point.
    const outside = file.specifiers.filter(
      (s) => !s.startsWith('.') || relative(ocppV16Dir, resolve(dirname(file.path), s)).startsWith('..'),
    );
    expect(outside).toEqual([]);
    const violations = file.specifiers.flatMap((s) => forbidden.filter((f) => f.test(s)).map((f) => `${s} (${f.what})`));
    expect(violations).toEqual([]);
  });
});
