import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryReplayCache } from '../../server/src/auth/index.js';

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
