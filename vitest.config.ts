import { defineConfig } from 'vitest/config';

// The machine has 2 cores: two forks keep the suite fast without oversubscribing them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
