import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryReplayCache, SqliteReplayCache } from '../../server/src/auth/index.js';

describe('memory replay cache', () => {
  it('is bounded: when full of live entries it refuses rather than evicting one', async () => {
    const cache = new MemoryReplayCache({ maxEntries: 3 });
    for (const sig of ['a', 'b', 'c']) expect(await cache.remember('k', sig, 10_000, 0)).toBe('fresh');
    expect(await cache.remember('k', 'd', 10_000, 1)).toBe('full');
    expect(await cache.remember('k', 'a', 10_000, 1)).toBe('replayed');
    // Once entries expire the room is reclaimed.
    expect(await cache.remember('k', 'd', 20_000, 10_000)).toBe('fresh');
    expect(cache.size).toBe(1);
  });

  it('property: a signature is fresh exactly when no live entry for it exists', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ sig: fc.constantFrom('s1', 's2', 's3'), advance: fc.integer({ min: 0, max: 3000 }), ttl: fc.integer({ min: 1, max: 5000 }) }), { maxLength: 40 }),
        async (steps) => {
          const cache = new MemoryReplayCache();
          const model = new Map<string, number>();
          let now = 0;
          for (const step of steps) {
            now += step.advance;
            const live = (model.get(step.sig) ?? -Infinity) > now;
            const verdict = await cache.remember('k', step.sig, now + step.ttl, now);
            expect(verdict).toBe(live ? 'replayed' : 'fresh');
            if (!live) model.set(step.sig, now + step.ttl);
          }
        },
      ),
    );
  });
});

describe('SQLite replay cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = () => join(dir, `replay-${n++}.db`);

  it('commits checks of one event-loop turn together and still admits a signature only once', async () => {
    const cache = SqliteReplayCache.openFile(file());
    const verdicts = await Promise.all([
      cache.remember('k', 'same', 10_000, 1000),
      cache.remember('k', 'same', 10_000, 1000),
      cache.remember('k', 'other', 10_000, 1000),
      cache.remember('k2', 'same', 10_000, 1000),
    ]);
    expect(verdicts).toEqual(['fresh', 'replayed', 'fresh', 'fresh']);
    expect(await cache.remember('k', 'same', 10_000, 2000)).toBe('replayed');
    cache.close();
  });

  it('property: two connections to one file (two processes) never both admit a signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.constantFrom('s1', 's2', 's3', 's4')), { minLength: 1, maxLength: 30 }), async (checks) => {
        const path = file();
        const a = SqliteReplayCache.openFile(path);
        const b = SqliteReplayCache.openFile(path);
        const verdicts = await Promise.all(checks.map(([first, sig]) => (first ? a : b).remember('k', sig, 10_000, 1000)));
        for (const sig of new Set(checks.map(([, s]) => s))) {
          expect(verdicts.filter((v, i) => checks[i]![1] === sig && v === 'fresh')).toHaveLength(1);
        }
        a.close();
        b.close();
      }),
      { numRuns: 25 },
    );
  });

  it('refuses every check of a batch whose commit fails, and remembers none of them', async () => {
    const path = file();
    const db = new Database(path);
    const cache = new SqliteReplayCache(db);
    // Another writer holds the write lock: the batch's transaction cannot begin.
    const other = new Database(path, { timeout: 0 });
    db.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    const results = await Promise.allSettled([cache.remember('k', 'a', 10_000, 1000), cache.remember('k', 'b', 10_000, 1000)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    other.exec('ROLLBACK');
    other.close();
    expect(await cache.remember('k', 'a', 10_000, 1000)).toBe('fresh');
    cache.close();
  });

  it('a check in a later turn after expiry is admitted again', async () => {
    const cache = SqliteReplayCache.openFile(file());
    expect(await cache.remember('k', 'sig', 2000, 1000)).toBe('fresh');
    expect(await cache.remember('k', 'sig', 2000, 1999)).toBe('replayed');
    expect(await cache.remember('k', 'sig', 4000, 2000)).toBe('fresh');
    cache.close();
  });
});
