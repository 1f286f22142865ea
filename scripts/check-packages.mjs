#!/usr/bin/env node
// Checks what each publishable package would publish: `npm pack` into a temp folder, then
// publint (package.json fields, exports map, files present in the tarball; warnings count as
// errors) and Are the Types Wrong (`attw --profile esm-only`: every subpath's types resolve under
// node16/bundler for ESM importers). Run after a build: `npx turbo run build && node scripts/check-packages.mjs`.
// Options: a list of package folders (default: every non-private package under packages/ and examples/), --help.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: node scripts/check-packages.mjs [package-folder ...]

Packs every publishable workspace package (npm pack) and checks the tarball with
publint --strict and attw --profile esm-only. Build the packages first
(npx turbo run build). Exit code 1 when a check fails, 2 on a usage error.`);
  process.exit(0);
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
for (const tool of ['publint', 'attw']) {
  if (!existsSync(bin(tool))) {
    console.error(`${tool} is not installed in ${root}/node_modules; run npm install at the repository root`);
    process.exit(2);
  }
}

function workspaceFolders() {
  const out = [];
  for (const parent of ['packages', 'examples']) {
    const dir = join(root, parent);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (existsSync(join(dir, name, 'package.json'))) out.push(join(parent, name));
    }
  }
  return out;
}

const folders = (args.length > 0 ? args : workspaceFolders()).map((f) => resolve(root, f));
const out = mkdtempSync(join(tmpdir(), 'charge-it-pack-'));
const failures = [];
try {
  for (const folder of folders) {
    const manifestPath = join(folder, 'package.json');
    if (!existsSync(manifestPath)) {
      console.error(`${folder}: no package.json`);
      process.exit(2);
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private) continue;
    console.log(`\n== ${manifest.name} (${folder.slice(root.length + 1)})`);
    if (!existsSync(join(folder, 'dist'))) {
      failures.push(`${manifest.name}: no dist/ — build it first (npx turbo run build --filter=${manifest.name})`);
      console.log('   no dist/: not built');
      continue;
    }
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: folder, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    const tarball = join(out, packed[0].filename);
    console.log(`   ${packed[0].filename}: ${packed[0].entryCount} files, ${(packed[0].size / 1024).toFixed(0)} kB packed`);
    for (const [tool, toolArgs] of [
      ['publint', ['run', tarball, '--strict']],
      ['attw', [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color', '--no-emoji']],
    ]) {
      try {
        const text = execFileSync(bin(tool), toolArgs, { cwd: folder, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        console.log(`   ${tool}: ok`);
        if (process.env.VERBOSE) console.log(text);
      } catch (err) {
        failures.push(`${manifest.name}: ${tool}`);
        console.log(`   ${tool}: FAILED\n${String(err.stdout ?? '')}${String(err.stderr ?? '')}`);
      }
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`\npackage checks failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('\nevery package passes publint and attw (esm-only)');
