import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts starts with `#!/usr/bin/env node`: tsup keeps the hashbang and marks dist/cli.js executable.
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'cli/index': 'src/cli/index.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'cli/index': 'src/cli/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node22',
  splitting: true,
});
