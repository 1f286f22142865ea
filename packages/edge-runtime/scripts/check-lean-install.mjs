#!/usr/bin/env node
// Checks that a Raspberry Pi install of @charge-it/edge-runtime stays lean: packs the package as
// it would be published (`npm pack`, from the built dist), installs the tarball in a clean temp
// folder with `npm install --omit=dev`, fails if any of the core's server side (fastify,
// @mikro-orm/*, database drivers, @charge-it/core itself) was installed, checks that the installed
// package loads (main entry, ./testing, the CLI's --help), and prints the installed size.
//
// Usage: node scripts/check-lean-install.mjs [--max-mb 25] [--keep]
// Needs a built dist (npx turbo run build --filter=@charge-it/edge-runtime) and the npm registry.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HELP = `check-lean-install: pack @charge-it/edge-runtime, install it with --omit=dev in a temp dir,
fail if a server-side dependency is installed, print the installed size.

Usage: node scripts/check-lean-install.mjs [--max-mb <MB>] [--keep]
  --max-mb <MB>   fail when node_modules is larger than this (default 25)
  --keep          keep the temp dir and print its path
  -h, --help      this help
`;

/** Packages of the core's server side that must never reach the edge's production install. */
const FORBIDDEN = [/^fastify$/, /^@fastify\//, /^@mikro-orm\//, /^better-sqlite3$/, /^mysql2$/, /^mariadb$/, /^sqlite3$/, /^knex$/, /^awilix$/, /^@charge-it\/core$/];

let args;
try {
  args = parseArgs({ options: { 'max-mb': { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  process.stderr.write(`${err.message}\n\n${HELP}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const maxMb = Number(args['max-mb'] ?? 25);
if (!(maxMb > 0)) {
  process.stderr.write(`--max-mb must be a number of MB > 0, got "${args['max-mb']}"\n`);
  process.exit(2);
}

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
for (const entry of ['dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'dist/testing/index.js', 'dist/testing/index.d.ts']) {
  if (!existsSync(join(pkgDir, entry))) fail(`${entry} is missing: build first (npx turbo run build --filter=${pkg.name})`);
}
if (pkg.dependencies?.['@charge-it/core']) fail('@charge-it/core is a production dependency; it must stay a devDependency (the edge bundles the kernel and ocpp16 subpaths)');

const work = mkdtempSync(join(tmpdir(), 'charge-it-lean-'));
// fail() exits the process: clean up there too.
process.on('exit', () => {
  if (!args.keep) rmSync(work, { recursive: true, force: true });
});
{
  step(`npm pack ${pkg.name}`);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], pkgDir));
  const tarball = join(work, packed[0].filename);
  console.log(`${packed[0].filename}: ${kb(packed[0].size)} packed, ${kb(packed[0].unpackedSize)} unpacked, ${packed[0].entryCount} files`);
  // The published declaration files must stand alone: no import of the core (a devDependency).
  for (const f of packed[0].files.map((x) => x.path).filter((p) => p.endsWith('.d.ts'))) {
    if (readFileSync(join(pkgDir, f), 'utf8').includes('@charge-it/core')) fail(`${f} references @charge-it/core; bundle its types (tsup dts) instead`);
  }

  step('npm install --omit=dev in a clean folder');
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'lean-install-check', private: true, type: 'module' }, null, 2));
  run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', tarball], app);

  const modules = join(app, 'node_modules');
  const installed = listPackages(modules);
  const forbidden = installed.filter((name) => FORBIDDEN.some((re) => re.test(name)));
  console.log(`${installed.length} packages installed: ${installed.join(', ')}`);
  if (forbidden.length > 0) fail(`server-side packages in the edge's production install: ${forbidden.join(', ')}`);

  step('the installed package loads');
  run(process.execPath, ['--input-type=module', '-e', "const m = await import('@charge-it/edge-runtime'); if (typeof m.createChargePoint !== 'function') throw new Error('no createChargePoint');"], app);
  run(process.execPath, ['--input-type=module', '-e', "const t = await import('@charge-it/edge-runtime/testing'); const cs = await t.startFakeCentralSystem(); await cs.close();"], app);
  const help = run(process.execPath, [join(modules, '.bin', 'charge-it-edge'), '--help'], app);
  if (!help.includes('Usage:')) fail('charge-it-edge --help printed no usage');

  const bytes = diskUsage(modules);
  const mb = bytes / 1024 / 1024;
  const largest = installed
    .map((name) => ({ name, bytes: diskUsage(join(modules, name)) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5)
    .map((p) => `${p.name} ${(p.bytes / 1024 / 1024).toFixed(1)} MB`);
  console.log(`\ninstalled size: ${mb.toFixed(1)} MB on disk (node_modules, ${installed.length} packages; largest: ${largest.join(', ')})`);
  if (mb > maxMb) fail(`the install is ${mb.toFixed(1)} MB, over the ${maxMb} MB budget`);
  console.log(`lean install OK: no server-side dependency, ${mb.toFixed(1)} MB <= ${maxMb} MB`);
  if (args.keep) console.log(`kept ${work}`);
}

function run(cmd, argv, cwd) {
  try {
    return execFileSync(cmd, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    fail(`${cmd} ${argv.join(' ').slice(0, 120)} failed (exit ${err.status}):\n${err.stderr || err.stdout || err.message}`);
  }
}

/** Installed package names (scoped ones as @scope/name), nested node_modules included. */
function listPackages(dir) {
  const names = new Set();
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d)) {
      if (e.startsWith('.')) continue;
      if (e.startsWith('@')) {
        for (const s of readdirSync(join(d, e))) visit(join(d, e, s), `${e}/${s}`);
      } else visit(join(d, e), e);
    }
  };
  const visit = (path, name) => {
    names.add(name);
    walk(join(path, 'node_modules'));
  };
  walk(dir);
  return [...names].sort();
}

/** Bytes on disk (allocated blocks, like `du`), symlinks not followed. */
function diskUsage(path) {
  const st = lstatSync(path);
  let total = st.blocks * 512;
  if (st.isDirectory()) for (const e of readdirSync(path)) total += diskUsage(join(path, e));
  return total;
}

function kb(n) {
  return `${(n / 1024).toFixed(0)} kB`;
}

function step(what) {
  console.log(`\n-- ${what}`);
}

function fail(message) {
  console.error(`\nlean install check FAILED: ${message}`);
  process.exit(1);
}
