import { defineConfig } from 'tsup';

export default defineConfig([
  // The plugin and the CLI (Node).
  {
    entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts' } },
    sourcemap: true,
    clean: false,
    target: 'node22',
  },
  // The driver page (browser): firebase web SDK and the QR generator bundled in, no CDN at run time.
  {
    entry: { live: 'web/src/live.ts', station: 'web/src/station.ts' },
    outDir: 'dist/driver',
    format: ['esm'],
    platform: 'browser',
    target: 'es2020',
    noExternal: [/.*/],
    splitting: true,
    minify: true,
    sourcemap: false,
    dts: false,
    clean: false,
    publicDir: 'web/public',
  },
]);
