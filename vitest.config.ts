import { defineConfig } from 'vitest/config';

// Integration tests download real packages and run dpkg as an oracle: give them time,
// and run test files in parallel only as far as the 2-core machines allow.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 1_200_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
