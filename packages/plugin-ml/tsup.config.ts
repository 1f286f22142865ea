import { defineConfig } from 'tsup';

export default defineConfig({
  // The training worker is its own entry: run-training.ts starts `./training-worker.js` next to it.
  entry: { index: 'src/index.ts', 'training-worker': 'src/training/training-worker.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node22',
});
