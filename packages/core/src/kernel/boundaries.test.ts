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

/**
 * The arrows between the core's layers (issue 7): nothing points back up.
 * - src/domain/** never imports src/http/** (a feature's routes live in the feature, e.g.
 *   domain/firmware/firmware-routes.ts; the REST layer calls the domain, not the reverse);
 * - src/ocpp/** (gateway, router, sessions, commands, types) never imports src/domain/** or
 *   src/http/**: the table that joins OCPP actions to domain services (src/ocpp-handlers.ts) sits
 *   above both, next to the composition root;
 * - the plugin contract (src/plugin.ts) knows no concrete service: it reaches them only as types,
 *   through the `CsmsServices` interface of src/services.ts.
 */
const srcDir = resolve(kernelDir, '..');

function relativeImports(dir: string): Array<{ name: string; targets: string[] }> {
  return sourceFiles(dir)
    .filter((path) => !/\.test(-d)?\.ts$/.test(path))
    .map((path) => ({
      name: relative(srcDir, path),
      targets: specifiers(readFileSync(path, 'utf8'))
        .filter((s) => s.startsWith('.'))
        .map((s) => relative(srcDir, resolve(dirname(path), s))),
    }));
}

const inside = (area: string) => (target: string) => target === area || target.startsWith(`${area}/`);
const domainFiles = relativeImports(join(srcDir, 'domain'));
const ocppFilesAll = relativeImports(join(srcDir, 'ocpp'));

describe('layer arrows inside @charge-it/core', () => {
  it('finds the layers and sees their imports (the checks below are not vacuous)', () => {
    expect(domainFiles.map((f) => f.name)).toContain(join('domain', 'firmware', 'firmware-routes.ts'));
    expect(domainFiles.find((f) => f.name === join('domain', 'firmware', 'firmware-plugin.ts'))?.targets).toContain(join('domain', 'firmware', 'firmware-routes.js'));
    expect(ocppFilesAll.find((f) => f.name === join('ocpp', 'action-router.ts'))?.targets).toContain(join('ocpp', 'sessions.js'));
    expect(inside('http')('http/api/views.js')).toBe(true);
    expect(inside('http')('https-thing.js')).toBe(false);
  });

  it.each(domainFiles.map((f) => [f.name, f] as const))('%s does not import src/http', (_name, file) => {
    expect(file.targets.filter(inside('http'))).toEqual([]);
  });

  it.each(ocppFilesAll.map((f) => [f.name, f] as const))('%s imports neither src/domain nor src/http', (_name, file) => {
    expect(file.targets.filter((t) => inside('domain')(t) || inside('http')(t))).toEqual([]);
  });

  it('the OCPP handler table lives above src/ocpp and src/domain', () => {
    const handlers = relativeImports(srcDir).find((f) => f.name === 'ocpp-handlers.ts');
    expect(handlers?.targets.some(inside('domain'))).toBe(true);
    expect(handlers?.targets.some(inside('ocpp'))).toBe(true);
  });

  it('src/plugin.ts imports no concrete service (types of services only through src/services.ts)', () => {
    const source = readFileSync(join(srcDir, 'plugin.ts'), 'utf8');
    const targets = specifiers(source).filter((s) => s.startsWith('.'));
    expect(targets).toContain('./services.js');
    expect(targets.filter((s) => s.startsWith('./domain/') || s.startsWith('./http/') || s.startsWith('./persistence/'))).toEqual([]);
    expect(targets.filter((s) => /ocpp\/(commands|sessions|rpc-gateway)\.js$/.test(s))).toEqual([]);
    // services.ts itself references services as types only (no runtime import of any of them).
    const services = readFileSync(join(srcDir, 'services.ts'), 'utf8');
    const valueImports = [...services.matchAll(/^import\s+(?!type\b)[^;]*from\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    expect(valueImports).toEqual([]);
  });
});
