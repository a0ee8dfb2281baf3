import { defineConfig } from 'vitest/config';
import { storeModeTestFiles } from './test/helpers/store-mode-files.js';
import { testStoresMode } from './test/helpers/test-stores-mode.js';

export default defineConfig({
  test: {
    // TEST_STORES=external runs only the files whose services take the run's stores (the others
    // do the same work in both modes, and `npm test` runs them): test/helpers/store-mode-files.ts.
    include: testStoresMode() === 'external' ? storeModeTestFiles(import.meta.dirname) : ['test/**/*.test.ts'],
    // Limits for a hung test, not measures of speed: CI also runs the suite with every core busy
    // (stress-ng), where CPU-bound tests take several times as long as on an idle machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Gateway tests start real servers on ephemeral ports; files run in parallel, tests in a file run in order.
    pool: 'forks',
    // TEST_STORES=external (npm run test:external): one Redis and one PostgreSQL database for the run.
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
