import { cpSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandResult, CoreEvent } from '../../server/src/core/api.js';
import { DurabilityError, type ResultReceiver } from '../../server/src/sequencer/api.js';
import { DataDirectoryError } from '../../server/src/sequencer/data-directory.js';
import { openDurableSequencer, type DurableSequencer, type DurableSequencerOptions } from '../../server/src/sequencer/durable.js';
import { FaultyFileSystem } from '../journal/journal-files.js';
import { captureLogs } from '../durability/support/log-capture.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { deposit, LEDGER_ENGINE_MODULE, place } from './ledger-core.js';
import { eventually } from '../helpers/eventually.js';

const newDir = tempDirs('durable-seq');
const turn = () => new Promise((resolve) => setImmediate(resolve));

function open(dataDir: string, options: Partial<DurableSequencerOptions> = {}) {
  const logs = captureLogs();
  return openDurableSequencer({ dataDir, logger: logs.logger, engineModule: LEDGER_ENGINE_MODULE, ...options }).then((bus) => ({ bus, logs }));
}

function balance(bus: DurableSequencer, account: string): string | undefined {
  return bus.core.balances(account)?.[0]?.total;
}

describe('durable sequencer: acknowledgement waits for the journal', () => {
  it('withholds results and events until the batch is synced, while queries already see the state', async () => {
    const fs = new FaultyFileSystem();
    const { bus } = await open(newDir(), { fileSystem: fs });
    const events: CoreEvent[] = [];
    bus.onEvents((batch) => events.push(...batch));
    const release = fs.holdSyncs();
    let acked = false;
    const result = bus.submit(deposit('a', 5)).then((r) => {
      acked = true;
      return r;
    });
    for (let i = 0; i < 5; i++) await turn();
    expect(acked).toBe(false);
    expect(events).toEqual([]);
    expect(balance(bus, 'a')).toBe('5');
    release();
    expect((await result).ok).toBe(true);
    await turn();
    expect(events.map((e) => e.type)).toEqual(['BalanceChanged']);
    await bus.close();
  });

  it('delivers events gap-free in seq order and resolves submits in submission order, across many batches', async () => {
    const { bus } = await open(newDir());
    const seqs: number[] = [];
    bus.onEvents((batch) => seqs.push(...batch.map((e) => e.seq)));
    const order: number[] = [];
    const submits: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      submits.push(bus.submit(deposit(`acct-${i % 5}`, 1)).then(() => order.push(i)));
      if (i % 37 === 0) await turn();
    }
    await Promise.all(submits);
    await turn();
    expect(order).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    await bus.close();
  });

  it('journals rejected commands too, so their events and seq numbers survive a restart identically', async () => {
    const dir = newDir();
    const first = await open(dir);
    const rejected = await first.bus.submit(place('nobody'));
    expect(rejected.ok).toBe(false);
    await first.bus.submit(deposit('a', 1));
    await first.bus.close();
    const second = await open(dir, { snapshotOnClose: false });
    expect(second.bus.core.seq).toBe(2);
    await second.bus.close();
  });

  it('keeps the order when a listener submits while handling events', async () => {
    const { bus } = await open(newDir());
    const seen: [string, number][] = [];
    let nested: Promise<unknown> | undefined;
    bus.onEvents((batch) => {
      for (const event of batch) {
        if (event.type !== 'BalanceChanged') continue;
        seen.push([event.accountId, event.seq]);
        if (event.accountId === 'a') nested = bus.submit(deposit('b', 1));
      }
    });
    await bus.submit(deposit('a', 1));
    // The listener hears of 'a' only after its submitter resumed, so 'c' is sequenced before 'b'.
    await bus.submit(deposit('c', 1));
    await turn();
    await nested;
    await turn();
    expect(seen).toEqual([['a', 1], ['c', 2], ['b', 3]]);
    await bus.close();
  });

  it('a listener that throws does not stop other listeners or acknowledgements', async () => {
    const { bus, logs } = await open(newDir());
    const seen: number[] = [];
    bus.onEvents(() => {
      throw new Error('listener bug');
    });
    bus.onEvents((batch) => seen.push(...batch.map((e) => e.seq)));
    expect((await bus.submit(deposit('a', 1))).ok).toBe(true);
    await turn();
    expect(seen).toEqual([1]);
    expect(logs.matching('listener threw')).toHaveLength(1);
    await bus.close();
  });

  it('a command the core throws on is journaled, rejected to its submitter, and replayed the same way', async () => {
    const dir = newDir();
    const first = await open(dir, { snapshotOnClose: false });
    await first.bus.submit(deposit('a', 1));
    await expect(first.bus.submit(deposit('a', 'explode'))).rejects.toThrow('test double refuses');
    await first.bus.submit(deposit('a', 2));
    await first.bus.close();
    const second = await open(dir);
    expect(balance(second.bus, 'a')).toBe('3');
    expect(second.bus.status().lastIndex).toBe(3);
    expect(second.logs.matching('core threw')).toHaveLength(1);
    await second.bus.close();
  });
});

describe('durable sequencer: history follows the acknowledgements', () => {
  it('historySynced() waits until the history holds every acknowledged command', async () => {
    const { bus } = await open(newDir());
    await bus.submit(deposit('a', 1));
    const orders = await Promise.all(Array.from({ length: 40 }, (_, i) => bus.submit(place('a', `o${i}`))));
    expect(orders.every((r) => r.ok)).toBe(true);
    await bus.historySynced();
    expect(bus.history.listOrders('a', {}, undefined, 100).items).toHaveLength(40);
    expect(bus.status().historySeq).toBe(bus.core.seq);
    await bus.close();
  });

  it('with maxReplicaLag 0 an acknowledgement waits for the history (read-your-writes, back-pressure)', async () => {
    const { bus } = await open(newDir(), { maxReplicaLag: 0 });
    await bus.submit(deposit('a', 1));
    for (let i = 0; i < 30; i++) {
      const waves = await Promise.all([bus.submit(place('a', `x${i}`)), bus.submit(place('a', `y${i}`))]);
      expect(waves.every((r) => r.ok)).toBe(true);
      // No historySynced() here: the acknowledgement itself came after the projection.
      expect(bus.history.getOrder('a', { clientOrderId: `x${i}` })?.status).toBe('new');
      expect(bus.history.getOrder('a', { clientOrderId: `y${i}` })?.status).toBe('new');
    }
    await bus.close();
  });
});

describe('durable sequencer: back-pressure', () => {
  it('acknowledges no command before the history is within maxReplicaLag records of it, and every one in order', async () => {
    const lag = 7;
    const { bus } = await open(newDir(), { maxReplicaLag: lag });
    const acknowledged: number[] = [];
    const lagsAtAcknowledgement: number[] = [];
    const submits: Promise<unknown>[] = [];
    for (let i = 0; i < 400; i++) {
      const submitted = bus.submit(deposit(`acct-${i % 3}`, 1));
      const index = bus.status().lastIndex;
      submits.push(submitted.then(() => {
        acknowledged.push(index);
        lagsAtAcknowledgement.push(index - bus.status().historyIndex);
      }));
      if (i % 50 === 0) await turn();
    }
    await Promise.all(submits);
    expect(acknowledged).toEqual([...acknowledged].sort((a, b) => a - b));
    expect(Math.max(...lagsAtAcknowledgement)).toBeLessThanOrEqual(lag);
    await bus.close();
  });
});

describe('durable sequencer: history checkpoints', () => {
  it('once idle, the replica checkpoints the history into its database file without waiting for a large WAL', async () => {
    const dir = newDir();
    const { bus } = await open(dir);
    const file = join(dir, 'history.db');
    const initial = statSync(file).size;
    await eventually(async () => {
      await bus.submit(deposit('a', 1));
      await bus.historySynced();
      expect(statSync(file).size).toBeGreaterThan(initial);
    });
    await bus.close();
  });
});

describe('durable sequencer: restart', () => {
  it('recovers state and history after a clean close, and continues the journal', async () => {
    const dir = newDir();
    const first = await open(dir);
    for (let i = 1; i <= 20; i++) await first.bus.submit(i % 2 ? deposit('a', i) : place('a', `c${i}`));
    await first.bus.close();
    const second = await open(dir);
    expect(balance(second.bus, 'a')).toBe(String(1 + 3 + 5 + 7 + 9 + 11 + 13 + 15 + 17 + 19));
    expect(second.bus.history.listOrders('a', {}, undefined, 100).items.map((o) => o.clientOrderId)).toEqual(
      [20, 18, 16, 14, 12, 10, 8, 6, 4, 2].map((i) => `c${i}`));
    expect((await second.bus.submit(deposit('a', 1))).events[0]!.seq).toBe(21);
    await second.bus.close();
  });

  it('recovers exactly the acknowledged commands from files copied while running (a crash image)', async () => {
    const dir = newDir();
    const { bus } = await open(dir);
    const acked: number[] = [];
    for (let i = 1; i <= 50; i++) {
      await bus.submit(deposit('a', 1));
      acked.push(i);
    }
    const image = newDir();
    cpSync(dir, image, { recursive: true });
    await bus.close();
    writeFileSync(join(image, 'LOCK'), '999999999\n');
    const restored = await open(image);
    expect(balance(restored.bus, 'a')).toBe('50');
    expect(restored.bus.history.listBalanceChanges('a', {}, undefined, 1000).items).toHaveLength(50);
    await restored.bus.close();
  });

  it('resumes a lagging history projection exactly where it stopped, without duplicates', async () => {
    const dir = newDir();
    const first = await open(dir);
    await first.bus.submit(deposit('a', 1));
    for (let i = 0; i < 10; i++) await first.bus.submit(place('a', `early-${i}`));
    // a copy of the history database as it stands after the first 10 orders
    const historyCopy = newDir();
    cpSync(join(dir, 'history.db'), join(historyCopy, 'history.db'));
    for (const suffix of ['-wal', '-shm']) {
      try {
        cpSync(join(dir, `history.db${suffix}`), join(historyCopy, `history.db${suffix}`));
      } catch {
        // absent when already checkpointed
      }
    }
    for (let i = 0; i < 10; i++) await first.bus.submit(place('a', `late-${i}`));
    await first.bus.close();
    for (const name of readdirSync(historyCopy)) cpSync(join(historyCopy, name), join(dir, name));

    const second = await open(dir, { snapshotOnClose: false });
    const orders = second.bus.history.listOrders('a', {}, undefined, 1000).items;
    expect(orders.map((o) => o.clientOrderId)).toEqual([...Array.from({ length: 10 }, (_, i) => `late-${9 - i}`), ...Array.from({ length: 10 }, (_, i) => `early-${9 - i}`)]);
    expect(second.bus.status().historySeq).toBe(21);
    await second.bus.close();
  });
});

describe('durable sequencer: snapshots', () => {
  it('snapshots every N commands, keeps three, retires old journal segments, and restarts from the newest', async () => {
    const dir = newDir();
    const first = await open(dir, { snapshotEveryCommands: 25, maxSegmentBytes: 1_000_000 });
    for (let i = 0; i < 130; i++) {
      await first.bus.submit(deposit('a', 1));
      if (i % 10 === 0) await first.bus.snapshotNow().then(() => undefined, () => undefined);
    }
    await first.bus.close();
    const snapshots = readdirSync(join(dir, 'snapshots'));
    expect(snapshots).toHaveLength(3);
    const segments = readdirSync(join(dir, 'journal')).sort();
    const oldestSnapshot = Number(snapshots.sort()[0]!.slice(0, 20));
    // Retained segments reach back to (at most) the oldest kept snapshot; older ones are gone.
    expect(Number(segments[0]!.slice(0, 20))).toBeLessThanOrEqual(oldestSnapshot + 1);
    expect(Number(segments[0]!.slice(0, 20))).toBeGreaterThan(1);

    const second = await open(dir);
    expect(balance(second.bus, 'a')).toBe('130');
    const recovered = second.logs.matching('state restored')[0]!;
    expect(recovered.snapshotIndex).toBe(130);
    expect(recovered.replayedRecords).toBe(0);
    await second.bus.close();
  });

  it('skips a snapshot that fails its checksum and recovers from an older one plus the journal', async () => {
    const dir = newDir();
    const first = await open(dir, { snapshotOnClose: false });
    for (let i = 1; i <= 30; i++) {
      await first.bus.submit(deposit('a', 1));
      if (i % 10 === 0) await first.bus.snapshotNow();
    }
    await first.bus.submit(deposit('a', 1));
    await first.bus.close();
    const newest = join(dir, 'snapshots', readdirSync(join(dir, 'snapshots')).sort().pop()!);
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(newest);
    bytes[bytes.length - 10]! ^= 0x01;
    writeFileSync(newest, bytes);

    const second = await open(dir);
    expect(balance(second.bus, 'a')).toBe('31');
    expect(second.logs.matching('skipping a damaged snapshot')).toHaveLength(1);
    expect(second.logs.matching('state restored')[0]).toMatchObject({ snapshotIndex: 20, replayedRecords: 11 });
    await second.bus.close();
  });

  it('takes a snapshot on the interval timer', async () => {
    const dir = newDir();
    const { bus } = await open(dir, { snapshotIntervalMs: 20, snapshotOnClose: false });
    await bus.submit(deposit('a', 1));
    // The replica thread writes it when it gets the CPU: wait for it, not for a fixed time.
    await eventually(() => expect(bus.status().snapshotIndex).toBe(1));
    await bus.close();
  });
});

describe('durable sequencer: journal failure', () => {
  it('fails pending and later submits with DurabilityError, hides the unjournaled state, and a restart has only acknowledged commands', async () => {
    const dir = newDir();
    const fs = new FaultyFileSystem();
    const { bus, logs } = await open(dir, { fileSystem: fs, snapshotOnClose: false });
    const events: CoreEvent[] = [];
    bus.onEvents((batch) => events.push(...batch));
    await bus.submit(deposit('a', 10));
    fs.failAfterWrites = fs.writes;
    fs.partialBytes = 12;
    const doomed = [bus.submit(deposit('a', 1)), bus.submit(deposit('a', 2))];
    for (const p of doomed) await expect(p).rejects.toBeInstanceOf(DurabilityError);
    expect(bus.healthy).toBe(false);
    expect(events).toHaveLength(1);
    await expect(bus.submit(deposit('a', 3))).rejects.toThrow(/journal write failed: ENOSPC/);
    expect(() => bus.core.balances('a')).toThrow(DurabilityError);
    expect(logs.matching('durability lost')).toHaveLength(1);
    await bus.close();

    const restarted = await open(dir);
    expect(restarted.bus.healthy).toBe(true);
    expect(balance(restarted.bus, 'a')).toBe('10');
    await restarted.bus.close();
  });

  it('refuses submits after close', async () => {
    const { bus } = await open(newDir());
    await bus.close();
    expect(bus.healthy).toBe(false);
    await expect(bus.submit(deposit('a', 1))).rejects.toBeInstanceOf(DurabilityError);
  });
});

describe('durable sequencer: results told to a receiver', () => {
  /** A receiver that logs what it is told, in order. */
  const told = (log: string[], name: string): ResultReceiver => ({
    onResult: (r: CommandResult) => log.push(`${name} ${r.ok} ${r.events.map((e) => e.seq).join(',')}`),
    onError: (err: unknown) => log.push(`${name} error ${(err as Error).message}`),
  });

  it('tells a receiver only once its batch is synced, in submission order with promises, before the listeners', async () => {
    const fs = new FaultyFileSystem();
    const { bus } = await open(newDir(), { fileSystem: fs });
    const log: string[] = [];
    bus.onEvents((batch) => log.push(`events ${batch.map((e) => e.seq).join(',')}`));
    const release = fs.holdSyncs();
    const first = bus.submit(deposit('a', 1)).then((r) => log.push(`promise ${r.ok} ${r.events.map((e) => e.seq).join(',')}`));
    bus.submitTo!(deposit('a', 2), told(log, 'receiver'));
    bus.submitTo!(deposit('a', 'explode'), told(log, 'receiver'));
    for (let i = 0; i < 5; i++) await turn();
    expect(log).toEqual([]);
    expect(balance(bus, 'a')).toBe('3');
    release();
    await first;
    const delivered = () => log.filter((l) => l.startsWith('events ')).flatMap((l) => l.slice('events '.length).split(',').map(Number));
    // The command the core throws on has no events.
    await eventually(() => expect(delivered()).toEqual([1, 2]));
    const answers = log.filter((l) => !l.startsWith('events '));
    expect(answers.sort()).toEqual(['promise true 1', 'receiver error test double refuses this amount', 'receiver true 2']);
    // Each command is answered before the listeners hear of its events.
    const heard = (seq: number) => log.findIndex((l) => l.startsWith('events ') && l.slice('events '.length).split(',').includes(String(seq)));
    expect(log.indexOf('receiver true 2')).toBeLessThan(heard(2));
    expect(log.indexOf('receiver true 2')).toBeLessThan(log.indexOf('receiver error test double refuses this amount'));
    await bus.close();
  });

  it('answers the rest of a batch and delivers its events when a receiver throws', async () => {
    const { bus, logs } = await open(newDir());
    const seqs: number[] = [];
    bus.onEvents((batch) => seqs.push(...batch.map((e) => e.seq)));
    bus.submitTo!(deposit('a', 1), { onResult: () => { throw new Error('receiver fault'); }, onError: () => {} });
    expect((await bus.submit(deposit('a', 2))).ok).toBe(true);
    await eventually(() => expect(seqs).toEqual([1, 2]));
    expect(logs.matching('a command result receiver threw')).toHaveLength(1);
    await bus.close();
  });

  it('tells a refusal after the call returns: a closed sequencer and a failed journal', async () => {
    const fs = new FaultyFileSystem();
    const { bus } = await open(newDir(), { fileSystem: fs, snapshotOnClose: false });
    await bus.submit(deposit('a', 10));
    fs.failAfterWrites = fs.writes;
    const log: string[] = [];
    bus.submitTo!(deposit('a', 1), told(log, 'doomed'));
    await eventually(() => expect(log).toEqual([expect.stringMatching(/^doomed error journal write failed/)]));
    bus.submitTo!(deposit('a', 2), told(log, 'after'));
    expect(log).toHaveLength(1);
    await eventually(() => expect(log).toHaveLength(2));
    expect(log[1]).toMatch(/^after error journal write failed/);
    await bus.close();

    const healthy = await open(newDir());
    await healthy.bus.close();
    healthy.bus.submitTo!(deposit('a', 3), told(log, 'closed'));
    expect(log).toHaveLength(2);
    await turn();
    expect(log[2]).toBe('closed error the sequencer is shutting down');
  });
});

describe('durable sequencer: data directory', () => {
  it('is created on first start with its layout', async () => {
    const dir = join(newDir(), 'nested', 'data');
    const { bus } = await open(dir);
    expect(readdirSync(dir).sort()).toEqual(['LOCK', 'history.db', 'history.db-shm', 'history.db-wal', 'journal', 'snapshots']);
    await bus.close();
  });

  it('an unusable path gives a clear error at start-up', async () => {
    const file = join(newDir(), 'not-a-directory');
    writeFileSync(file, '');
    await expect(open(join(file, 'data'))).rejects.toThrow(DataDirectoryError);
    await expect(open(join(file, 'data'))).rejects.toThrow(/cannot create directory: a path component is not a directory \(ENOTDIR\)/);
  });

  it('is locked against a second opener, and a lock left by a dead process is taken over', async () => {
    const dir = newDir();
    const { bus } = await open(dir);
    await expect(open(dir)).rejects.toThrow(/already open in this process/);
    await bus.close();
    writeFileSync(join(dir, 'LOCK'), '1\n'); // pid 1 is alive: another process owns it
    await expect(open(dir)).rejects.toThrow(/in use by process 1/);
    writeFileSync(join(dir, 'LOCK'), '999999999\n');
    const again = await open(dir);
    await again.bus.close();
  });
});
