#!/usr/bin/env node
// `npm run bench`: builds what the benchmarks need, then runs them one after the other.
//   npm run bench                 # core throughput, then edge footprint
//   npm run bench -- core [args]  # only bench/core-throughput.mjs, with its options
//   npm run bench -- edge [args]  # only bench/edge-footprint.mjs, with its options
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageOf } from './cli-args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benches = { core: 'core-throughput.mjs', edge: 'edge-footprint.mjs' };
const [which, ...rest] = process.argv.slice(2);
if (which === '--help' || which === '-h') {
  console.log(usageOf(import.meta.url));
  console.log(`\nbenchmarks: ${Object.keys(benches).join(', ')} (each answers --help)`);
  process.exit(0);
}
const selected = which && which in benches ? [which] : Object.keys(benches);
const forwarded = which && which in benches ? rest : process.argv.slice(2);

const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

if (run(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) {
  console.error('build failed; fix it before benchmarking');
  process.exit(1);
}
let failed = 0;
for (const name of selected) {
  const script = join(root, 'bench', benches[name]);
  if (!existsSync(script)) {
    console.error(`skipping ${name}: ${script} does not exist`);
    continue;
  }
  console.log(`\n######## ${benches[name]} ########\n`);
  if (run(process.execPath, [script, ...(selected.length === 1 ? forwarded : [])]) !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
