import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PingSweep } from '../../../server/src/gateway/ws/ping-sweep.js';

/** A connection as the sweep sees it; `answers` says whether it pongs each ping at once. */
interface FakeConnection { id: number; alive: boolean; answers: boolean }

/**
 * A sweep over fake connections on a fake monotonic clock (milliseconds, powers of two so sums
 * are exact). Each ping costs `pingCostMs` of the clock, so a tick's budget bounds its pings.
 */
function sweepOf(options: { intervalMs: number; budgetMs: number; pingCostMs: number }) {
  const clock = { now: 0 };
  const connections = new Set<FakeConnection>();
  const pings: Array<{ id: number; at: number }> = [];
  const unanswered: Array<{ id: number; at: number }> = [];
  const sweep = new PingSweep(connections, {
    intervalMs: options.intervalMs,
    budgetMs: options.budgetMs,
    now: () => clock.now,
    ping: (c) => {
      pings.push({ id: c.id, at: clock.now });
      clock.now += options.pingCostMs;
      if (c.answers) c.alive = true;
    },
    unanswered: (c) => {
      unanswered.push({ id: c.id, at: clock.now });
      connections.delete(c); // the gateway closes it; its close event removes it
    },
  });
  let nextId = 0;
  return {
    clock, connections, pings, unanswered,
    add: (answers = true) => {
      const c = { id: nextId++, alive: true, answers };
      connections.add(c);
      return c;
    },
    /** Ticks every `everyMs` until the clock reaches `untilMs`. */
    run: (everyMs: number, untilMs: number) => {
      while (clock.now < untilMs) {
        const tickAt = clock.now;
        sweep.tick();
        clock.now = Math.max(clock.now, tickAt + everyMs);
      }
    },
  };
}

describe('ping sweep', () => {
  it('pings every connection once per interval, spread over ticks that each stay within the budget', () => {
    const s = sweepOf({ intervalMs: 1024, budgetMs: 1, pingCostMs: 0.125 });
    for (let i = 0; i < 500; i++) s.add();
    s.run(8, 4096);
    const perConnection = new Map<number, number[]>();
    for (const p of s.pings) perConnection.set(p.id, [...(perConnection.get(p.id) ?? []), p.at]);
    expect(perConnection.size).toBe(500);
    for (const times of perConnection.values()) {
      expect(times.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1024);
    }
    // No tick pinged more than the budget pays for (1 ms at 0.125 ms a ping: 8, the last one may start at the deadline's edge).
    const perTick = new Map<number, number>();
    for (const p of s.pings) perTick.set(Math.floor(p.at / 8), (perTick.get(Math.floor(p.at / 8)) ?? 0) + 1);
    expect(Math.max(...perTick.values())).toBeLessThanOrEqual(8);
    expect(s.unanswered).toEqual([]);
  });

  it('hands over a connection that did not answer its previous ping, one interval after it, and only that one', () => {
    const s = sweepOf({ intervalMs: 256, budgetMs: 4, pingCostMs: 0.125 });
    s.add();
    const deaf = s.add(false);
    s.add();
    s.run(4, 1024);
    expect(s.unanswered.map((u) => u.id)).toEqual([deaf.id]);
    const firstPing = s.pings.find((p) => p.id === deaf.id)!.at;
    expect(s.unanswered[0]!.at - firstPing).toBeGreaterThanOrEqual(256);
    expect(s.unanswered[0]!.at - firstPing).toBeLessThan(256 + 8);
  });

  it('counts any message as an answer: a connection that talks but never pongs stays', () => {
    const s = sweepOf({ intervalMs: 64, budgetMs: 4, pingCostMs: 0.125 });
    const talker = s.add(false);
    for (let t = 0; t < 1024; t += 16) {
      talker.alive = true; // a request arrived
      s.run(4, t + 16);
    }
    expect(s.unanswered).toEqual([]);
    expect(s.pings.filter((p) => p.id === talker.id).length).toBeGreaterThanOrEqual(15);
  });

  it('pings a connection that arrives later, and no longer visits one that left', () => {
    const s = sweepOf({ intervalMs: 128, budgetMs: 4, pingCostMs: 0.125 });
    const early = s.add();
    s.run(4, 200);
    const late = s.add();
    s.connections.delete(early);
    const pingsBefore = s.pings.filter((p) => p.id === early.id).length;
    s.run(4, 600);
    expect(s.pings.filter((p) => p.id === early.id).length).toBe(pingsBefore);
    expect(s.pings.filter((p) => p.id === late.id).length).toBeGreaterThanOrEqual(3);
  });

  it('never pings a connection twice within an interval, and pings each one present long enough, whatever joins and leaves', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 2000 }), join: fc.boolean() }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 64 }),
        (events, tickMs) => {
          const intervalMs = 256;
          const s = sweepOf({ intervalMs, budgetMs: 2, pingCostMs: 0.25 });
          const present = new Map<number, { from: number; to?: number }>();
          const live: FakeConnection[] = [];
          for (const event of [...events].sort((a, b) => a.at - b.at)) {
            s.run(tickMs, event.at);
            if (event.join || live.length === 0) {
              const c = s.add();
              live.push(c);
              present.set(c.id, { from: s.clock.now });
            } else {
              const c = live.shift()!;
              s.connections.delete(c);
              present.get(c.id)!.to = s.clock.now;
            }
          }
          const end = s.clock.now + 4 * intervalMs;
          s.run(tickMs, end);
          for (const [id, span] of present) {
            const times = s.pings.filter((p) => p.id === id).map((p) => p.at);
            for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(intervalMs);
            // Few connections and a budget of 8 pings a tick: a connection present for an interval and two ticks is pinged.
            if ((span.to ?? end) - span.from >= intervalMs + 2 * tickMs) expect(times.length).toBeGreaterThan(0);
          }
        },
      ),
    );
  });
});
