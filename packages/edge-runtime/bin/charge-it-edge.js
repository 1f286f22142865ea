#!/usr/bin/env node
// The `charge-it-edge` command. A committed file (not dist/cli.js itself), so that npm links the
// command at install time even in a fresh clone where nothing is built yet; it runs the built CLI,
// or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    'charge-it-edge: the edge runtime is not built yet (dist/cli.js is missing).\n' +
      'In the Charge-IT repository run `npm run build -w @charge-it/edge-runtime` (or `npm start`, which builds it), then try again.\n',
  );
  process.exit(1);
}
await import(cli.href);
