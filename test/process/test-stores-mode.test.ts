/**
 * The shared service factory runs on the stores TEST_STORES names (test/helpers/test-stores.ts):
 * the external mode really puts a service's keys in PostgreSQL and its checks on Redis, each
 * service in a schema and key prefix of its own, kept across a restart on the same data directory.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startTestService } from '../helpers/service.js';
import { externalStoresFor, testStoresMode } from '../helpers/test-stores.js';

describe('TEST_STORES', () => {
  it('names embedded (the default) or external, and nothing else', () => {
    expect(testStoresMode({})).toBe('embedded');
    expect(testStoresMode({ TEST_STORES: 'embedded' })).toBe('embedded');
    expect(testStoresMode({ TEST_STORES: 'external' })).toBe('external');
    expect(() => testStoresMode({ TEST_STORES: 'redis' })).toThrow(/TEST_STORES must be embedded or external/);
  });

  it('puts the services of the shared factory on those stores', async () => {
    const svc = await startTestService();
    try {
      const ready = (await (await fetch(`${svc.baseUrl}/health/ready`)).json()) as { checks: Record<string, unknown> };
      const settings = externalStoresFor(svc.dataDir);
      if (testStoresMode() === 'embedded') {
        expect(settings).toBeUndefined();
        expect(ready.checks).not.toHaveProperty('redis');
        return;
      }
      expect(ready.checks).toHaveProperty('redis', { ok: true });
      expect(settings).toMatchObject({ stores: 'external', databaseSchema: expect.stringMatching(/^t_[0-9a-f]{12}$/) });
      expect(settings!.redisKeyPrefix).toBe(`${settings!.databaseSchema}:`);
      // The same data directory keeps its schema (a restart finds its keys); another gets its own.
      expect(externalStoresFor(svc.dataDir)).toEqual(settings);
      expect(externalStoresFor(`${svc.dataDir}-other`)!.databaseSchema).not.toBe(settings!.databaseSchema);
      const client = new pg.Client({ connectionString: settings!.databaseUrl });
      await client.connect();
      try {
        const keys = await client.query(`SELECT account_id FROM ${settings!.databaseSchema}.api_keys WHERE key_id = $1`, [svc.operator.keyId]);
        expect(keys.rows).toEqual([{ account_id: 'operator' }]);
      } finally {
        await client.end();
      }
    } finally {
      await svc.stop();
    }
  });
});
