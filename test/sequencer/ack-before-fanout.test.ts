/**
 * A submitter's acknowledgement never waits for event listeners (market data, streams): each
 * slow fake listener below costs 50 ms of the injected clock, and the acknowledgement time read
 * from that clock is the same with no listener as with many.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CommandBus } from '../../server/src/sequencer/api.js';
import { openDurableSequencer } from '../../server/src/sequencer/durable.js';
import { createInMemorySequencer } from '../../server/src/sequencer/in-memory.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { createCore, deposit, LEDGER_ENGINE_MODULE } from './ledger-core.js';

const silent = pino({ level: 'silent' });
const newDir = tempDirs('ack-before-fanout');

function manualClock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

type Clock = ReturnType<typeof manualClock>;

/** Places `commands` deposits with `listeners` slow listeners; returns each ack's clock time and the order of acks and deliveries. */
async function run(bus: CommandBus, clock: Clock, listeners: number, commands: number) {
  const log: string[] = [];
  for (let i = 0; i < listeners; i++) {
    bus.onEvents((events) => {
      clock.advance(50); // a slow subscriber: its delivery takes 50 ms
      if (i === 0) log.push(`events ${events.map((e) => e.seq).join(',')}`);
    });
  }
  const start = clock.now();
  const ackTimes = await Promise.all(
    Array.from({ length: commands }, (_, i) => bus.submit(deposit('a', 1)).then(() => {
      log.push(`ack ${i + 1}`);
      return clock.now() - start;
    })),
  );
  return { ackTimes, log };
}

const buses: [string, (clock: Clock) => Promise<{ bus: CommandBus; close: () => Promise<void> }>][] = [
  ['in-memory', async (clock) => ({ bus: createInMemorySequencer(createCore(), clock, silent), close: async () => undefined })],
  ['durable', async (clock) => {
    const bus = await openDurableSequencer({ dataDir: newDir(), logger: silent, engineModule: LEDGER_ENGINE_MODULE, clock, snapshotOnClose: false });
    return { bus, close: () => bus.close() };
  }],
];

describe.each(buses)('%s sequencer: acknowledgements do not wait for listeners', (_name, openBus) => {
  it.each([0, 1, 100])('acknowledges at the same clock time with %i slow listeners', async (listeners) => {
    const clock = manualClock();
    const { bus, close } = await openBus(clock);
    const { ackTimes, log } = await run(bus, clock, listeners, 3);
    expect(ackTimes).toEqual([0, 0, 0]);
    // Every acknowledgement of the batch comes before any listener hears of it.
    expect(log.filter((l) => l.startsWith('ack'))).toEqual(['ack 1', 'ack 2', 'ack 3']);
    expect(log.some((l) => l.startsWith('events'))).toBe(false);
    await close();
  });

  it('still delivers every event to every listener, in seq order, after the acknowledgements', async () => {
    const clock = manualClock();
    const { bus, close } = await openBus(clock);
    const seen: number[][] = [[], []];
    bus.onEvents((events) => seen[0]!.push(...events.map((e) => e.seq)));
    bus.onEvents((events) => seen[1]!.push(...events.map((e) => e.seq)));
    for (let i = 0; i < 5; i++) await bus.submit(deposit('a', 1));
    await close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]);
  });
});
