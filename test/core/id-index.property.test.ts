/**
 * The finished orders' index of ring positions by id (id-index.ts) against a plain Map: adds,
 * moves and deletes of ids in a small range (long probe runs that wrap round the table's end) and
 * of ids that share their low 32 bits, through the table's growth; look-ups of absent and
 * malformed ids, and deletes at a position the id is not at, find and change nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdIndex } from '../../server/src/core/id-index.js';

/** The index with the caller's side: the id at each position, positions handed out in turn. */
class Harness {
  readonly ids: number[] = [];
  readonly index = new IdIndex(this.ids);
  readonly model = new Map<number, number>();

  put(id: number): void {
    this.ids.push(id);
    this.index.set(id, this.ids.length - 1);
    this.model.set(id, this.ids.length - 1);
  }

  remove(id: number, position: number): void {
    this.index.delete(id, position);
    if (this.model.get(id) === position) this.model.delete(id);
  }

  check(): void {
    expect(this.index.size).toBe(this.model.size);
    for (const [id, position] of this.model) expect(this.index.get(id)).toBe(position);
  }
}

/**
 * Ids whose entry's home is among the last of a 64- or 128-entry table, so their runs wrap round
 * its end, and ids whose home is among the first, which such runs displace.
 */
const nearTheEnd: number[] = [];
const nearTheStart: number[] = [];
for (let id = 0; nearTheEnd.length < 20 || nearTheStart.length < 20; id++) {
  const home = Math.imul(id, 0x9e3779b1) >>> 26;
  if (home >= 61 && nearTheEnd.length < 20) nearTheEnd.push(id);
  if (home <= 1 && nearTheStart.length < 20) nearTheStart.push(id);
}

describe('id index', () => {
  it('finds exactly what a Map finds', () => {
    const id = fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.constantFrom(...nearTheEnd),
      fc.constantFrom(...nearTheStart),
      // The same low 32 bits as 0..20.
      fc.integer({ min: 0, max: 20 }).map((k) => k + 2 ** 32),
      fc.integer({ min: 0, max: 20 }).map((k) => k + 5 * 2 ** 32),
      fc.constant(Number.MAX_SAFE_INTEGER),
    );
    const op = fc.oneof(
      // Adds the id at a new position, or moves it there if present.
      fc.record({ k: fc.constant('put' as const), id }),
      fc.record({ k: fc.constant('deletePresent' as const), pick: fc.nat() }),
      fc.record({ k: fc.constant('deleteElsewhere' as const), id, position: fc.nat({ max: 500 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const h = new Harness();
      for (const o of ops) {
        if (o.k === 'put') h.put(o.id);
        else if (o.k === 'deletePresent') {
          if (h.model.size === 0) continue;
          const [key, position] = [...h.model][o.pick % h.model.size]!;
          h.remove(key, position);
        } else if (h.model.get(o.id) !== o.position) h.remove(o.id, o.position);
        h.check();
      }
      for (let k = 0; k <= 300; k++) expect(h.index.get(k)).toBe(h.model.get(k) ?? -1);
      for (const k of [...nearTheEnd, ...nearTheStart]) expect(h.index.get(k)).toBe(h.model.get(k) ?? -1);
      for (let k = 0; k <= 20; k++) expect(h.index.get(k + 3 * 2 ** 32)).toBe(-1);
      for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) expect(h.index.get(bad)).toBe(-1);
    }), { numRuns: 300 });
  });

  it('keeps every entry through many adds and deletes of spread ids, as the finished orders use it', () => {
    const h = new Harness();
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 50_000; i++) {
      const id = rnd(20_000) * 7;
      const at = h.model.get(id);
      if (at !== undefined && rnd(3) === 0) h.remove(id, at);
      else h.put(id);
    }
    h.check();
    for (let k = 0; k < 140_000; k++) expect(h.index.get(k)).toBe(h.model.get(k) ?? -1);
  });
});
