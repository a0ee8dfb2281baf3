import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryQueue } from '../../../server/src/gateway/ws/delivery-queue.js';
import { WriteBatch } from '../../../server/src/gateway/ws/write-batch.js';

/** A queue whose turns the test runs one at a time. */
function steppedQueue(sendsPerTurn: number) {
  const turns: (() => void)[] = [];
  const queue = new DeliveryQueue(new WriteBatch(), sendsPerTurn, (turn) => turns.push(turn));
  return {
    queue,
    /** Runs one scheduled turn; false if none was scheduled. */
    step: () => {
      const turn = turns.shift();
      turn?.();
      return turn !== undefined;
    },
  };
}

describe('WebSocket delivery queue', () => {
  it('sends at most sendsPerTurn frames per turn and never blocks the caller', () => {
    const { queue, step } = steppedQueue(100);
    const received: number[] = [];
    const subscribers = Array.from({ length: 250 }, (_, i) => i);
    queue.push(subscribers, (s) => received.push(s));
    expect(received).toEqual([]); // pushing sends nothing: the broadcast happens on later turns
    expect(queue.pendingSends).toBe(250);
    step();
    expect(received).toHaveLength(100);
    step();
    expect(received).toHaveLength(200);
    step();
    expect(received).toEqual(subscribers);
    expect(queue.pendingSends).toBe(0);
    expect(step()).toBe(false);
  });

  it('gives every subscriber its frames in the order they were queued, however the turns cut them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 16 }), { maxLength: 30 }),
        (sendsPerTurn, frames) => {
          const { queue, step } = steppedQueue(sendsPerTurn);
          const got = new Map<number, number[]>();
          frames.forEach((targets, frame) => queue.push(targets, (s) => {
            if (!got.has(s)) got.set(s, []);
            got.get(s)!.push(frame);
          }));
          let turns = 0;
          let sent = 0;
          while (step()) {
            const before = sent;
            sent = [...got.values()].reduce((n, l) => n + l.length, 0);
            expect(sent - before).toBeLessThanOrEqual(sendsPerTurn);
            turns++;
          }
          const total = frames.reduce((n, t) => n + t.length, 0);
          expect(sent).toBe(total);
          expect(turns).toBe(Math.ceil(total / sendsPerTurn));
          for (const [s, list] of got) expect(list).toEqual(frames.flatMap((t, i) => (t.includes(s) ? [i] : [])));
        },
      ),
    );
  });

  it('a slow subscriber delays only the turn it is sent in, not the frames queued behind its turn', () => {
    // The slow subscriber costs 50 ms of the injected clock per frame.
    let now = 0;
    const { queue, step } = steppedQueue(2);
    const arrivals: [string, number][] = [];
    queue.push(['slow', 'fast-1', 'fast-2', 'fast-3'], (s) => {
      if (s === 'slow') now += 50;
      arrivals.push([s, now]);
    });
    const ackAt = now; // the caller continued at once, whatever the subscribers cost
    step();
    step();
    expect(ackAt).toBe(0);
    expect(arrivals.map(([s]) => s)).toEqual(['slow', 'fast-1', 'fast-2', 'fast-3']);
  });

  it('clear() drops what is queued', () => {
    const { queue, step } = steppedQueue(1);
    const received: number[] = [];
    queue.push([1, 2, 3], (s) => received.push(s));
    step();
    queue.clear();
    step();
    expect(received).toEqual([1]);
    expect(queue.pendingSends).toBe(0);
  });
});
