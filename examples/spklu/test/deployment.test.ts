/**
 * The deployment files: the Dockerfile's runtime stage holds every workspace package the app
 * imports; compose.yaml is valid for Debian's docker-compose (`config -q`) and refuses to run
 * without its passwords; `.env.example` documents only variables something reads, and every one
 * the app reads; the Pi's edge.json is a valid edge configuration for the station.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { optionSpecs } from '@charge-it/core';
import { loadEdgeConfig } from '@charge-it/edge-runtime';
import { FIREBASE_ENV } from '@charge-it/plugin-firebase';
import { describe, expect, it } from 'vitest';
import { resolveSpkluSettings, SPKLU_KNOWN_ENV } from '../src/index.js';

const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(APP_DIR, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Pkg {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  files?: string[];
}

/** name → folder of every workspace package (packages/*, examples/*). */
function workspaces(): Map<string, string> {
  const map = new Map<string, string>();
  for (const group of ['packages', 'examples']) {
    for (const entry of execFileSync('ls', [join(ROOT, group)], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      const file = join(ROOT, group, entry, 'package.json');
      if (existsSync(file)) map.set((JSON.parse(readFileSync(file, 'utf8')) as Pkg).name, `${group}/${entry}`);
    }
  }
  return map;
}

/** The workspace packages the app needs at run time: its dependencies, theirs, and peers, transitively. */
function runtimeClosure(): string[] {
  const all = workspaces();
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(read(`${dir}/package.json`)) as Pkg;
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })) {
      const target = all.get(dep);
      if (target) visit(target);
    }
  };
  visit('examples/spklu');
  return [...seen].sort();
}

/** The instructions of one stage (`FROM … AS <name>` up to the next FROM), line continuations joined. */
function stage(dockerfile: string, name: string): string[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const start = lines.findIndex((l) => new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}$`, 'i').test(l));
  expect(start, `stage ${name}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && /^FROM\s/i.test(l));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** Destination paths (relative to /app) of the stage's COPY lines. */
function copiedPaths(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines.filter((l) => /^COPY\s/i.test(l))) {
    const parts = line.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
    const dest = parts.at(-1)!;
    for (const src of parts.slice(0, -1)) {
      const rel = src.replace(/^\/app\//, '');
      const base = rel.split('/').at(-1)!;
      out.push(dest.endsWith('/') ? `${dest}${base}` : dest);
    }
  }
  return out.map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''));
}

describe('Dockerfile', () => {
  const dockerfile = read('examples/spklu/Dockerfile');

  it('the runtime stage holds every workspace package the app imports: package.json, dist and its published files', () => {
    const closure = runtimeClosure();
    expect(closure).toEqual(expect.arrayContaining(['examples/spklu', 'packages/core', 'packages/plugin-dashboard-htmx', 'packages/plugin-firebase', 'packages/plugin-ml', 'packages/edge-runtime', 'packages/plugin-rfid-pn532']));
    const runtime = copiedPaths(stage(dockerfile, 'runtime'));
    expect(runtime).toContain('node_modules');
    const missing: string[] = [];
    for (const dir of closure) {
      const pkg = JSON.parse(read(`${dir}/package.json`)) as Pkg;
      const needed = ['package.json', 'dist', ...(pkg.files ?? []).filter((f) => !/README|docs|\.md$/i.test(f) && existsSync(join(ROOT, dir, f)))];
      for (const file of new Set(needed)) if (!runtime.includes(`${dir}/${file}`)) missing.push(`${dir}/${file}`);
    }
    expect(missing, 'add COPY lines to the runtime stage').toEqual([]);
  });

  it('the deps and build stages install (package.json) and build every package of the closure', () => {
    const closure = runtimeClosure();
    const names = new Map([...workspaces()].map(([name, dir]) => [dir, name]));
    const deps = copiedPaths(stage(dockerfile, 'deps'));
    const build = stage(dockerfile, 'build');
    const buildCopies = copiedPaths(build);
    const buildRun = build.filter((l) => l.startsWith('RUN')).join(' ');
    for (const dir of closure) {
      expect(deps, `deps stage: ${dir}/package.json`).toContain(`${dir}/package.json`);
      expect(buildCopies, `build stage: ${dir}/src`).toContain(`${dir}/src`);
      expect(buildRun, `build stage builds ${names.get(dir)}`).toContain(`npm run build --workspace=${names.get(dir)}`);
    }
    // every bare import of the app's sources is one of its declared dependencies
    const pkg = JSON.parse(read('examples/spklu/package.json')) as Pkg;
    const sources = execFileSync('grep', ['-rhoE', "from '[^.][^']*'", join(APP_DIR, 'src')], { encoding: 'utf8' });
    const imported = new Set([...sources.matchAll(/from '([^']+)'/g)].map((m) => m[1]!).filter((s) => !s.startsWith('node:')).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!)));
    for (const name of imported) expect(Object.keys(pkg.dependencies ?? {}), `examples/spklu imports ${name}`).toContain(name);
  });

  it('runs as a non-root user, with a health check, in production mode', () => {
    const runtime = stage(dockerfile, 'runtime');
    expect(runtime).toContain('USER node');
    expect(runtime.some((l) => l.startsWith('HEALTHCHECK') && l.includes('/health'))).toBe(true);
    expect(runtime.some((l) => /NODE_ENV=production/.test(l))).toBe(true);
    // The same command as `npm start`, node flags included.
    const start = (JSON.parse(readFileSync(join(ROOT, 'examples/spklu/package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    expect(runtime.at(-1)).toBe(`CMD [${start.split(' ').map((part) => JSON.stringify(part)).join(', ')}]`);
  });
});

const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

describe('compose.yaml', () => {
  // CI installs Debian's docker-compose (.ci/run); a laptop without it skips these two, visibly.
  it.skipIf(!hasCompose && !process.env.CI)('is valid (docker-compose config -q) with the passwords of a filled-in .env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spklu-compose-'));
    try {
      const env = read('examples/spklu/.env.example')
        .replace(/^MARIADB_PASSWORD=$/m, 'MARIADB_PASSWORD=Xk3v9Qp2Lr7Zt5')
        .replace(/^MARIADB_ROOT_PASSWORD=$/m, 'MARIADB_ROOT_PASSWORD=Rb8Yw4Nc6Hs1Jd');
      writeFileSync(join(dir, '.env'), env);
      const check = spawnSync('docker-compose', ['--env-file', join(dir, '.env'), '-f', join(APP_DIR, 'compose.yaml'), 'config', '-q'], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
      const config = spawnSync('docker-compose', ['--env-file', join(dir, '.env'), '-f', join(APP_DIR, 'compose.yaml'), 'config'], { encoding: 'utf8' }).stdout;
      expect(config).toContain('CHARGE_IT_SPKLU_MODE: production');
      expect(config).toContain('mysql://charge_it:Xk3v9Qp2Lr7Zt5@mariadb:3306/charge_it');
      expect(config).toContain('condition: service_healthy');
      expect(config).toContain('mariadb-data:/var/lib/mysql');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasCompose && !process.env.CI)('refuses to run without the MariaDB password, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spklu-compose-'));
    try {
      writeFileSync(join(dir, '.env'), 'MARIADB_ROOT_PASSWORD=Rb8Yw4Nc6Hs1Jd\n');
      const check = spawnSync('docker-compose', ['--env-file', join(dir, '.env'), '-f', join(APP_DIR, 'compose.yaml'), 'config', '-q'], { encoding: 'utf8' });
      expect(check.status).not.toBe(0);
      expect(check.stderr).toContain('set MARIADB_PASSWORD');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes every CHARGE_IT_* variable it sets on to one that .env.example documents', () => {
    const compose = read('examples/spklu/compose.yaml');
    const example = read('examples/spklu/.env.example');
    const passed = [...compose.matchAll(/\$\{(CHARGE_IT_[A-Z_]+)/g)].map((m) => m[1]!);
    expect(passed.length).toBeGreaterThan(5);
    for (const name of passed) expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});

describe('.env.example', () => {
  const text = read('examples/spklu/.env.example');
  const names = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);

  it('documents only variables the app, the core, a plugin or compose.yaml reads, each with a comment above it', () => {
    const known = new Set([...optionSpecs.map((s) => s.env), ...SPKLU_KNOWN_ENV, ...FIREBASE_ENV, 'MARIADB_PASSWORD', 'MARIADB_ROOT_PASSWORD', 'SPKLU_PORT']);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    const lines = text.split('\n');
    for (const name of names) {
      let i = lines.findIndex((l) => new RegExp(`^#? ?${name}=`).test(l));
      // variables of one group (e.g. the two MariaDB passwords) share the comment above the first
      while (i > 0 && /^[A-Z][A-Z0-9_]+=/.test(lines[i - 1]!)) i--;
      expect(lines[i - 1], `a comment above ${name}`).toMatch(/^#/);
    }
  });

  it('documents every variable of the app itself and of the dashboard and Firebase plugins', () => {
    for (const name of [...SPKLU_KNOWN_ENV, ...FIREBASE_ENV].filter((n) => n !== 'CHARGE_IT_SPKLU_CONFIG' && n !== 'CHARGE_IT_DASHBOARD_PREFIX')) {
      expect(names, name).toContain(name);
    }
  });

  it('used as the config file: production mode, demo off; a demo password in it is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spklu-env-'));
    try {
      const file = join(dir, 'spklu.env');
      writeFileSync(file, text);
      const settings = resolveSpkluSettings({ env: {}, argv: ['--config', file] });
      expect(settings).toMatchObject({ mode: 'production', demo: false, configFile: file });
      expect(settings.env.CHARGE_IT_DASHBOARD_TIME_ZONE).toBe('Asia/Jakarta');
      expect(parseEnv(text).CHARGE_IT_SPKLU_MODE).toBe('production');
      writeFileSync(file, `${text}\nCHARGE_IT_DASHBOARD_ADMIN_USER=admin\nCHARGE_IT_DASHBOARD_ADMIN_PASSWORD=charge-it-demo\n`);
      expect(() => resolveSpkluSettings({ env: {}, argv: ['--config', file] })).toThrow(/demo password/);
      // the environment wins over the file
      expect(resolveSpkluSettings({ env: { CHARGE_IT_SPKLU_MODE: 'demo' }, argv: ['--config', file] }).mode).toBe('demo');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Raspberry Pi files (examples/spklu/pi)', () => {
  it('edge.json is a valid edge configuration: PN532 on I2C bus 1, one connector with cable "always", the CSMS URL', () => {
    const raw = JSON.parse(read('examples/spklu/pi/edge.json')) as Record<string, any>;
    const config = loadEdgeConfig(raw, {});
    expect(config.connectors).toHaveLength(1);
    expect(config.connectors[0]!.cable).toEqual({ kind: 'always' });
    expect(raw.connectors[0].cable).toBe('always');
    expect(config.csmsUrl).toMatch(/^wss?:\/\/.+\/ocpp$/);
    expect(raw.plugins).toEqual([expect.objectContaining({ module: '@charge-it/plugin-rfid-pn532', options: expect.objectContaining({ i2cBus: 1, connectorId: 1 }) })]);
  });

  it('the systemd unit runs charge-it-edge with that config as an unprivileged user with the i2c group', () => {
    const unit = read('examples/spklu/pi/charge-it-edge.service');
    expect(unit).toMatch(/^ExecStart=.*charge-it-edge.* --config \/etc\/charge-it-edge\/edge\.json/m);
    expect(unit).toMatch(/^User=charge-it$/m);
    expect(unit).toMatch(/^SupplementaryGroups=.*\bi2c\b/m);
    expect(unit).toMatch(/^DeviceAllow=\/dev\/i2c-1 rw$/m);
    expect(unit).toMatch(/^Restart=always$/m);
  });
});
