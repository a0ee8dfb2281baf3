/**
 * A book side against a plain model (a map of price to FIFO queue): after every append and
 * remove, the levels run best to worst and back in price order, each level holds its queue and
 * its totals, and the price tree stays a balanced search tree. A side built with `load` from
 * sorted levels is the same as one built order by order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BookSide, PriceLevel, type BookNode } from '../../server/src/core/book.js';

class Node implements BookNode {
  prev: BookNode | null = null;
  next: BookNode | null = null;
  level: PriceLevel | null = null;
  constructor(readonly id: number, readonly price: bigint, public remaining: bigint) {}
}

type Model = Map<bigint, Node[]>;

/** Model levels best first: descending prices for bids, ascending for asks. */
function modelLevels(model: Model, isBid: boolean): [bigint, number[]][] {
  return [...model.entries()]
    .sort(([a], [b]) => (isBid ? (a > b ? -1 : 1) : a < b ? -1 : 1))
    .map(([price, queue]) => [price, queue.map((n) => n.id)]);
}

function queueIds(level: PriceLevel): number[] {
  const ids: number[] = [];
  for (let n = level.head as Node | null; n !== null; n = n.next as Node | null) ids.push(n.id);
  return ids;
}

/**
 * Walks the tree below `node` (reached through the private root): returns its height and size,
 * and counts the nodes out of price order, out of balance or with a wrong height.
 */
function walkTree(node: PriceLevel | null, low: bigint | null, high: bigint | null): { height: number; size: number; faults: number } {
  if (node === null) return { height: 0, size: 0, faults: 0 };
  const l = walkTree(node.lower, low, node.price);
  const h = walkTree(node.higher, node.price, high);
  const height = Math.max(l.height, h.height) + 1;
  const fault = (low !== null && node.price <= low) || (high !== null && node.price >= high)
    || Math.abs(l.height - h.height) > 1 || node.height !== height;
  return { height, size: l.size + h.size + 1, faults: l.faults + h.faults + (fault ? 1 : 0) };
}

function rootOf(side: BookSide): PriceLevel | null {
  return (side as unknown as { root: PriceLevel | null }).root;
}

function expectMatches(side: BookSide, model: Model): void {
  const expected = modelLevels(model, side.isBid);
  const bestFirst: [bigint, number[]][] = [];
  for (let l = side.best() ?? null; l !== null; l = l.worse) bestFirst.push([l.price, queueIds(l)]);
  expect(bestFirst).toEqual(expected);
  const worstFirst: [bigint, number[]][] = [];
  for (let l = side.worst() ?? null; l !== null; l = l.better) worstFirst.push([l.price, queueIds(l)]);
  expect(worstFirst).toEqual([...expected].reverse());
  expect(side.size).toBe(expected.length);
  for (const [price, queue] of model) {
    const level = side.byPrice.get(price)!;
    expect(level.count).toBe(queue.length);
    expect(level.quantity).toBe(queue.reduce((sum, n) => sum + n.remaining, 0n));
    for (const n of queue) expect(n.level).toBe(level);
  }
  const tree = walkTree(rootOf(side), null, null);
  expect(tree.faults).toBe(0);
  expect(tree.size).toBe(expected.length);
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), price: fc.integer({ min: 1, max: 60 }), quantity: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
);

describe('BookSide', () => {
  for (const isBid of [true, false]) {
    it(`keeps ${isBid ? 'bid' : 'ask'} levels in price order and FIFO queues through appends and removes`, () => {
      fc.assert(fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const side = new BookSide(isBid);
        const model: Model = new Map();
        const resting: Node[] = [];
        let id = 0;
        for (const s of steps) {
          if (s.kind === 'append') {
            const price = BigInt(s.price);
            const node = new Node(++id, price, BigInt(s.quantity));
            const level = side.append(node, price, String(price));
            expect(level.price).toBe(price);
            model.set(price, [...(model.get(price) ?? []), node]);
            resting.push(node);
          } else if (resting.length > 0) {
            const node = resting.splice(s.pick % resting.length, 1)[0]!;
            const level = side.remove(node);
            expect(level.price).toBe(node.price);
            expect(node.level).toBeNull();
            const queue = model.get(node.price)!.filter((n) => n !== node);
            if (queue.length === 0) model.delete(node.price);
            else model.set(node.price, queue);
          }
          expectMatches(side, model);
        }
      }), { numRuns: 200 });
    });

    it(`loads ${isBid ? 'bid' : 'ask'} levels given worst to best into the same side, which then trades on like any other`, () => {
      fc.assert(fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 200 }),
        fc.array(step, { maxLength: 100 }),
        (prices, after) => {
          const worstToBest = [...prices].sort((a, b) => (isBid ? a - b : b - a)).map(BigInt);
          const model: Model = new Map();
          const resting: Node[] = [];
          let id = 0;
          const levels = worstToBest.map((price) => {
            const level = new PriceLevel(price, String(price));
            const queue = [new Node(++id, price, 2n), new Node(++id, price, 3n)];
            for (const n of queue) level.push(n);
            model.set(price, queue);
            resting.push(...queue);
            return level;
          });
          const side = new BookSide(isBid);
          side.load(levels);
          expectMatches(side, model);
          for (const s of after) {
            if (s.kind === 'append') {
              const price = BigInt(s.price);
              const node = new Node(++id, price, 1n);
              side.append(node, price, String(price));
              model.set(price, [...(model.get(price) ?? []), node]);
              resting.push(node);
            } else if (resting.length > 0) {
              const node = resting.splice(s.pick % resting.length, 1)[0]!;
              side.remove(node);
              const queue = model.get(node.price)!.filter((n) => n !== node);
              if (queue.length === 0) model.delete(node.price);
              else model.set(node.price, queue);
            }
          }
          expectMatches(side, model);
        },
      ), { numRuns: 200 });
    });
  }

  it('refuses to load levels out of order, an empty level, or into a side that has levels', () => {
    const level = (price: bigint): PriceLevel => {
      const l = new PriceLevel(price, String(price));
      l.push(new Node(Number(price), price, 1n));
      return l;
    };
    expect(() => new BookSide(true).load([level(2n), level(1n)])).toThrow(/does not improve/);
    expect(() => new BookSide(false).load([level(1n), level(2n)])).toThrow(/does not improve/);
    expect(() => new BookSide(true).load([level(1n), level(1n)])).toThrow(/does not improve/);
    expect(() => new BookSide(true).load([new PriceLevel(1n, '1')])).toThrow(/empty/);
    const side = new BookSide(true);
    side.append(new Node(1, 5n, 1n), 5n, '5');
    expect(() => side.load([level(6n)])).toThrow(/not empty/);
  });

  it('keeps a deep ladder balanced: 100,000 levels added worst first, then the best half removed', () => {
    const side = new BookSide(true);
    const nodes: Node[] = [];
    for (let i = 1; i <= 100_000; i++) {
      const node = new Node(i, BigInt(i), 1n);
      side.append(node, BigInt(i), String(i));
      nodes.push(node);
    }
    // An AVL tree of n nodes is at most 1.44 log2(n) high: 24 for 100,000 (a sorted list would be 100,000).
    const full = walkTree(rootOf(side), null, null);
    expect(full).toMatchObject({ size: 100_000, faults: 0 });
    expect(full.height).toBeLessThanOrEqual(24);
    for (let i = 100_000; i > 50_000; i--) side.remove(nodes[i - 1]!);
    expect(side.size).toBe(50_000);
    expect(side.best()!.price).toBe(50_000n);
    expect(side.worst()!.price).toBe(1n);
    const half = walkTree(rootOf(side), null, null);
    expect(half).toMatchObject({ size: 50_000, faults: 0 });
    expect(half.height).toBeLessThanOrEqual(23);
  });
});
