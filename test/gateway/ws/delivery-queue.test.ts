import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryQueue, MAX_BUDGETS } from '../../../server/src/gateway/ws/delivery-queue.js';
import { WriteBatch } from '../../../server/src/gateway/ws/write-batch.js';

/**
 * A queue on a fake monotonic clock whose turns the test runs one at a time. Costs are
 * powers of two in milliseconds so the clock's sums are exact.
 */
function steppedQueue(budgetMicros: number, maxSendsPerTurn = 1_000_000, releaseCostMs = 0) {
  const clock = { now: 0 };
  const turns: (() => void)[] = [];
  // The write batch: its release (the sockets' writes) costs releaseCostMs per send made in it.
  const writes = new WriteBatch();
  let sendsInBatch = 0;
  const batch = {
    run(deliver: () => void) {
      sendsInBatch = 0;
      writes.run(deliver);
      clock.now += releaseCostMs * sendsInBatch;
    },
  };
  const queue = new DeliveryQueue(batch, { budgetMicros, maxSendsPerTurn }, { now: () => clock.now, schedule: (turn) => turns.push(turn) });
  return {
    queue,
    clock,
    /** Wraps a send so it counts towards the batch's release cost and costs `ms` itself. */
    costing: <T>(ms: (target: T) => number, then: (target: T) => void) => (target: T) => {
      sendsInBatch++;
      clock.now += ms(target);
      then(target);
    },
    /** Runs one scheduled turn; false if none was scheduled. */
    step: () => {
      const turn = turns.shift();
      turn?.();
      return turn !== undefined;
    },
  };
}

describe('WebSocket delivery queue', () => {
  it('ends a turn when its time budget is spent, not after a number of sends, and never blocks the caller', () => {
    const { queue, costing, step, clock } = steppedQueue(1000);
    const received: number[] = [];
    const subscribers = Array.from({ length: 40 }, (_, i) => i);
    // Sends to the first 16 cost 0.125 ms each, the rest 0.25 ms.
    queue.push(subscribers, costing((s) => (s < 16 ? 0.125 : 0.25), (s) => received.push(s)));
    expect(received).toEqual([]); // pushing sends nothing: the broadcast happens on later turns
    expect(queue.pendingSends).toBe(40);
    step();
    expect(received).toHaveLength(8); // 8 × 0.125 ms fill the 1 ms budget
    step();
    expect(received).toHaveLength(16);
    let before = clock.now;
    step();
    // Sends turned dearer than estimated: the turn overruns by the one batch it sized at the old
    // cost (8 × 0.25 ms), then learns the new cost...
    expect(received).toHaveLength(24);
    expect(clock.now - before).toBe(2);
    // ...and the turns after it come back towards the budget as the estimate follows.
    const durations = [0, 1, 2].map(() => {
      const at = clock.now;
      step();
      return clock.now - at;
    });
    expect(durations).toEqual([1.5, 1.25, 1.25]);
    while (step());
    expect(received).toEqual(subscribers);
    expect(queue.pendingSends).toBe(0);
  });

  it('sees the cost of releasing the writes: it sends in batches and reads the clock after each release', () => {
    // The sends themselves cost nothing on the clock; releasing a batch costs 0.25 ms per send in it.
    const { queue, costing, step, clock } = steppedQueue(1000, 64, 0.25);
    const received: number[] = [];
    queue.push(Array.from({ length: 100 }, (_, i) => i), costing(() => 0, (s) => received.push(s)));
    step();
    // Nothing known yet: a batch of one shows 0.25 ms a send, and the rest of the budget pays for 3.
    expect(received).toHaveLength(4);
    expect(clock.now).toBe(1);
    step();
    expect(received).toHaveLength(8);
    expect(clock.now).toBe(2);
  });

  it('spends at most one budget a turn on market data, however long the loop made the turn wait', () => {
    const { queue, costing, step, clock } = steppedQueue(1000);
    const received: number[] = [];
    queue.push(Array.from({ length: 400 }, (_, i) => i), costing(() => 0.125, (s) => received.push(s)));
    step();
    expect(received).toHaveLength(8);
    clock.now += 100; // other work held the loop before the next turn: the next hop of an acknowledgement waits as long
    const before = clock.now;
    step();
    expect(received).toHaveLength(16);
    expect(clock.now - before).toBe(1);
  });

  it('sends private-stream frames first in a turn, ahead of market data queued before them, each lane in its own order', () => {
    const { queue, costing, step } = steppedQueue(1000);
    const sent: string[] = [];
    queue.push(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'], costing(() => 0.125, (s) => sent.push(`book→${s}`)));
    queue.pushPrivate(['a'], costing(() => 0.125, (s) => sent.push(`orders 1→${s}`)));
    queue.pushPrivate(['a', 'b'], costing(() => 0.125, (s) => sent.push(`orders 2→${s}`)));
    expect(queue.pendingSends).toBe(15);
    expect(queue.pendingPublicSends).toBe(12);
    step();
    // The three private sends take 0.375 ms of the budget; market data gets what is left.
    expect(sent).toEqual(['orders 1→a', 'orders 2→a', 'orders 2→b', 'book→a', 'book→b', 'book→c', 'book→d', 'book→e']);
    queue.pushPrivate(['c'], costing(() => 0.125, (s) => sent.push(`orders 3→${s}`)));
    step();
    expect(sent.slice(8, 10)).toEqual(['orders 3→c', 'book→f']);
  });

  it('gives market data at least one send a turn while a private backlog lasts', () => {
    const { queue, costing, step } = steppedQueue(1000);
    const sent: string[] = [];
    queue.push(['x', 'y'], costing(() => 0, (s) => sent.push(`book→${s}`)));
    queue.pushPrivate(Array.from({ length: 100 }, (_, i) => i), costing(() => 1, (s) => sent.push(`heartbeat→${s}`)));
    step();
    // Private sends for MAX_BUDGETS budgets, then one market-data send.
    expect(sent.filter((s) => s.startsWith('heartbeat'))).toHaveLength(MAX_BUDGETS);
    expect(sent.at(-1)).toBe('book→x');
  });

  it('makes at least one send per turn, however dear', () => {
    const { queue, costing, step } = steppedQueue(1000);
    const received: string[] = [];
    queue.push(['slow', 'also-slow'], costing(() => 8, (s) => received.push(s)));
    step();
    expect(received).toEqual(['slow']);
    step();
    expect(received).toEqual(['slow', 'also-slow']);
    expect(step()).toBe(false);
  });

  it('gives every subscriber its frames in the order they were queued, however the budget cuts the turns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 5000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 16 }), { maxLength: 30 }),
        fc.array(fc.constantFrom(0, 0.0625, 0.125, 0.5, 2), { minLength: 16, maxLength: 16 }),
        (budgetMicros, maxSendsPerTurn, frames, costOf) => {
          const { queue, costing, step } = steppedQueue(budgetMicros, maxSendsPerTurn);
          const got = new Map<number, number[]>();
          let sent = 0;
          frames.forEach((targets, frame) => queue.push(targets, costing((s: number) => costOf[s]!, (s) => {
            if (!got.has(s)) got.set(s, []);
            got.get(s)!.push(frame);
            sent++;
          })));
          while (true) {
            const before = sent;
            if (!step()) break;
            expect(sent - before).toBeGreaterThanOrEqual(1);
            expect(sent - before).toBeLessThanOrEqual(maxSendsPerTurn);
          }
          expect(sent).toBe(frames.reduce((n, t) => n + t.length, 0));
          for (const [s, list] of got) expect(list).toEqual(frames.flatMap((t, i) => (t.includes(s) ? [i] : [])));
        },
      ),
    );
  });

  it('a slow subscriber delays only the turn it is sent in, not the caller', () => {
    const { queue, costing, step, clock } = steppedQueue(1000);
    const arrivals: [string, number][] = [];
    queue.push(['slow', 'fast-1', 'fast-2', 'fast-3'], costing((s) => (s === 'slow' ? 50 : 0), (s) => arrivals.push([s, clock.now])));
    const ackAt = clock.now; // the caller continued at once, whatever the subscribers cost
    while (step());
    expect(ackAt).toBe(0);
    expect(arrivals.map(([s]) => s)).toEqual(['slow', 'fast-1', 'fast-2', 'fast-3']);
  });

  it('clear() drops what is queued', () => {
    const { queue, costing, step } = steppedQueue(1000, 1);
    const received: number[] = [];
    queue.push([1, 2, 3], costing(() => 0, (s) => received.push(s)));
    step();
    queue.clear();
    step();
    expect(received).toEqual([1]);
    expect(queue.pendingSends).toBe(0);
  });
});
