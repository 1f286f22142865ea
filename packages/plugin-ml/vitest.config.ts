import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Model fits and worker training take seconds, more on a loaded machine: generous limits.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
