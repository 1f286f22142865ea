import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts starts with `#!/usr/bin/env node`; esbuild keeps an entry's hashbang and tsup marks
  // such outputs executable, so dist/cli.js works as the `charge-it-edge` bin.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  // The edge uses only the core's dependency-free subpaths (@charge-it/core/kernel, /ocpp16). They
  // are bundled into dist, JavaScript and types alike, so that @charge-it/core is a devDependency
  // and a Raspberry Pi install pulls none of the core's server side (fastify, MikroORM, drivers).
  // scripts/check-lean-install.mjs checks the packed package.
  noExternal: [/^@charge-it\/core(\/|$)/],
  dts: {
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
    // tsup's own d.ts resolver ignores package "exports", so the two subpaths are mapped to the
    // core's published declaration files; rollup-plugin-dts then inlines them.
    resolve: [/^@charge-it\/core(\/|$)/],
    compilerOptions: {
      paths: {
        '@charge-it/core/kernel': ['../core/dist/kernel/index.d.ts'],
        '@charge-it/core/ocpp16': ['../core/dist/ocpp16/index.d.ts'],
      },
    },
  },
  sourcemap: true,
  clean: true,
  target: 'node22',
  splitting: true,
});
