import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CommandResult, CoreEvent } from '../../server/src/core/api.js';
import { submitTo, type CommandBus } from '../../server/src/sequencer/api.js';
import { createInMemorySequencer } from '../../server/src/sequencer/in-memory.js';
import { createCore, deposit } from './ledger-core.js';

const silent = pino({ level: 'silent' });
const fixedClock = (start: number) => {
  let now = start;
  return { now: () => now, set: (t: number) => (now = t) };
};

describe('in-memory sequencer', () => {
  it('resumes a batch\'s submitters before its listeners see it, then delivers in seq order', async () => {
    const bus = createInMemorySequencer(createCore(), fixedClock(1000), silent);
    const log: string[] = [];
    bus.onEvents((events) => log.push(`events ${events.map((e) => e.seq).join(',')}`));
    const a = bus.submit(deposit('a', 1)).then(() => log.push('ack 1'));
    const b = bus.submit(deposit('a', 2)).then(() => log.push('ack 2'));
    expect(log).toEqual([]);
    await Promise.all([a, b]);
    expect(log).toEqual(['ack 1', 'ack 2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['ack 1', 'ack 2', 'events 1,2']);
  });

  it('stamps monotonically non-decreasing times even when the clock steps back', async () => {
    const clock = fixedClock(5000);
    const bus = createInMemorySequencer(createCore(), clock, silent);
    const stamps: number[] = [];
    bus.onEvents((events: readonly CoreEvent[]) => stamps.push(...events.map((e) => e.ts)));
    await bus.submit(deposit('a', 1));
    clock.set(4000);
    await bus.submit(deposit('a', 1));
    clock.set(6000);
    await bus.submit(deposit('a', 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stamps).toEqual([5000, 5000, 6000]);
  });

  it('keeps events ordered when a listener submits from inside the callback', async () => {
    const bus = createInMemorySequencer(createCore(), fixedClock(0), silent);
    const seqs: number[] = [];
    let nested: Promise<unknown> | undefined;
    bus.onEvents((events) => {
      seqs.push(...events.map((e) => e.seq));
      if (!nested) nested = bus.submit(deposit('b', 1));
    });
    await bus.submit(deposit('a', 1));
    await bus.submit(deposit('c', 1));
    await new Promise((resolve) => setImmediate(resolve));
    await nested;
    await new Promise((resolve) => setImmediate(resolve));
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('rejects the submitter when the core throws, and keeps serving', async () => {
    const bus = createInMemorySequencer(createCore(), fixedClock(0), silent);
    await expect(bus.submit(deposit('a', 'explode'))).rejects.toThrow('test double refuses');
    expect((await bus.submit(deposit('a', 1))).ok).toBe(true);
    expect(bus.healthy).toBe(true);
  });

  it('tells a receiver what submit would resolve or reject with, at the same moment, before the listeners', async () => {
    const bus = createInMemorySequencer(createCore(), fixedClock(1000), silent);
    const log: string[] = [];
    bus.onEvents((events) => log.push(`events ${events.map((e) => e.seq).join(',')}`));
    const told = (name: string) => ({
      onResult: (r: CommandResult) => log.push(`${name} ${r.ok} ${r.events.map((e) => e.seq).join(',')}`),
      onError: (err: unknown) => log.push(`${name} error ${(err as Error).message}`),
    });
    const a = bus.submit(deposit('a', 1)).then((r) => log.push(`promise ${r.ok} ${r.events.map((e) => e.seq).join(',')}`));
    bus.submitTo!(deposit('a', 2), told('receiver'));
    bus.submitTo!(deposit('a', 'explode'), told('receiver'));
    expect(log).toEqual([]);
    await a;
    expect(log).toEqual(['receiver true 2', 'receiver error test double refuses this amount', 'promise true 1']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.at(-1)).toBe('events 1,2');
  });

  it('answers the rest of a batch and delivers its events when a receiver throws', async () => {
    const bus = createInMemorySequencer(createCore(), fixedClock(0), silent);
    const seqs: number[] = [];
    bus.onEvents((events) => seqs.push(...events.map((e) => e.seq)));
    bus.submitTo!(deposit('a', 1), { onResult: () => { throw new Error('receiver fault'); }, onError: () => {} });
    expect((await bus.submit(deposit('a', 2))).ok).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seqs).toEqual([1, 2]);
  });

  it('submitTo falls back to submit on a bus that cannot tell receivers', async () => {
    const inner = createInMemorySequencer(createCore(), fixedClock(0), silent);
    const promisesOnly: CommandBus = { submit: (c) => inner.submit(c), onEvents: inner.onEvents, core: inner.core, healthy: true };
    const results: string[] = [];
    const receiver = { onResult: (r: CommandResult) => results.push(`ok ${r.ok}`), onError: (e: unknown) => results.push(`error ${(e as Error).message}`) };
    submitTo(promisesOnly, deposit('a', 1), receiver);
    submitTo(promisesOnly, deposit('a', 'explode'), receiver);
    submitTo({ ...promisesOnly, submit: () => { throw new Error('thrown at once'); } }, deposit('a', 1), receiver);
    await new Promise((resolve) => setImmediate(resolve));
    expect(results.sort()).toEqual(['error test double refuses this amount', 'error thrown at once', 'ok true']);
  });

  it('exposes the core for queries only', async () => {
    const bus = createInMemorySequencer(createCore(), fixedClock(0), silent);
    await bus.submit(deposit('a', 7));
    expect(bus.core.balances('a')).toEqual([{ asset: 'USD', total: '7', available: '7', hold: '0' }]);
    expect(bus.core.seq).toBe(1);
    // @ts-expect-error CommandBus.core is typed as the core's queries: commands go through submit.
    void bus.core.apply;
  });
});
