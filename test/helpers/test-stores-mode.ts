/**
 * The store mode of a test run, from TEST_STORES (see test-stores.ts). Apart from test-stores.ts
 * so that the global setup, which runs outside any test, can read it without loading vitest's
 * test API.
 */
export type TestStoresMode = 'embedded' | 'external';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's Redis and PostgreSQL when TEST_STORES=external (empty strings otherwise). */
    testStores: { redisUrl: string; databaseUrl: string };
  }
}

/** The mode TEST_STORES names; anything else is a mistake that should stop the run. */
export function testStoresMode(env: NodeJS.ProcessEnv = process.env): TestStoresMode {
  const value = env.TEST_STORES ?? '';
  if (value === '' || value === 'embedded') return 'embedded';
  if (value === 'external') return 'external';
  throw new Error(`TEST_STORES must be embedded or external, got ${JSON.stringify(value)}`);
}
