import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts starts with `#!/usr/bin/env node`; esbuild keeps an entry's hashbang and tsup marks
  // such outputs executable, so dist/cli.js works as the `charge-it-edge` bin.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node22',
  splitting: true,
});
