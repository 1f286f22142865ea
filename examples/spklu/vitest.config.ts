import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The files mostly wait on child processes, sockets and the browser, not on the CPU: run them
    // side by side even on a 2-core machine (vitest's default would be one file at a time there).
    maxWorkers: 4,
  },
});
