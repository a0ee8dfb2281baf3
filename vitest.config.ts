import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Gateway tests start real servers on ephemeral ports; files run in parallel, tests in a file run in order.
    pool: 'forks',
  },
});
