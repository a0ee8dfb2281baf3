/**
 * The session file's pipelined commits, with its fdatasyncs held and returned (or failed) by the
 * test: the next record is written while the previous one syncs; commits resolve, and the store
 * runs its callbacks (what lets bytes leave), strictly in order and only once a sync that covers
 * them has returned; a failed sync fails every commit not yet durable, the file is cut back to the
 * last durable record, and the commits written again follow it. Records overwrite zeros kept
 * ahead of them, and the zeros end the log at the next open.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileFixSessionBackend, type SessionFileIo } from '../../../server/src/gateway/fix/file-session-backend.js';
import type { FixStoreBatch } from '../../../server/src/gateway/fix/session-backend.js';
import { FixSessionStore } from '../../../server/src/gateway/fix/store.js';
import { tempDirs } from '../../durability/support/temp-dir.js';
import { eventually } from '../../helpers/eventually.js';

const newDir = tempDirs('fix-session-pipeline');
const KEY = 'FIX.4.4:EXCH->C1|acc-1';

function batch(n: number): FixStoreBatch {
  return { resets: [], messages: [[KEY, n, `35=8\x0134=${n}\x01`]], seqs: [[KEY, { nextSender: n + 1, nextTarget: 1 }]], owners: [[`o${n}`, KEY]] };
}

/** Real writes; every fdatasync waits until the test returns it (with an error, or none). */
function heldSyncs() {
  const syncs: Array<(error: Error | null) => void> = [];
  let writes = 0;
  const io: SessionFileIo = {
    writeSync: (fd, data, offset, length, position) => {
      writes++;
      return fs.writeSync(fd, data, offset, length, position);
    },
    fdatasync: (_fd, done) => void syncs.push(done),
  };
  return { io, syncs, writes: () => writes };
}

function settledOrder(promises: Array<Promise<void>>): { order: string[] } {
  const state = { order: [] as string[] };
  promises.forEach((p, i) => p.then(() => state.order.push(`ok ${i + 1}`), () => state.order.push(`failed ${i + 1}`)));
  return state;
}

describe('FIX session file: pipelined commits', () => {
  it('writes the next record while the previous one syncs, and resolves in order whichever sync returns first', async () => {
    const held = heldSyncs();
    const file = join(newDir(), 'fix-sessions.log');
    const backend = new FileFixSessionBackend(file, { io: held.io });
    try {
      const state = settledOrder([backend.write(batch(1)), backend.write(batch(2))]);
      // Record 2 is written while record 1's sync is still out.
      await eventually(() => expect([held.writes(), held.syncs.length]).toEqual([2, 2]));
      expect(state.order).toEqual([]);
      // The later sync returns first: it covers both records, and they resolve in order.
      held.syncs[1]!(null);
      await eventually(() => expect(state.order).toEqual(['ok 1', 'ok 2']));
      held.syncs[0]!(null);
      expect(backend.load(KEY)).toEqual({ nextSender: 3, nextTarget: 1 });

      // The earlier sync returns first: only its record is durable until the later one returns.
      const next = settledOrder([backend.write(batch(3)), backend.write(batch(4))]);
      await eventually(() => expect(held.syncs.length).toBe(4));
      held.syncs[2]!(null);
      await eventually(() => expect(next.order).toEqual(['ok 1']));
      expect(backend.load(KEY)).toEqual({ nextSender: 4, nextTarget: 1 });
      held.syncs[3]!(null);
      await eventually(() => expect(next.order).toEqual(['ok 1', 'ok 2']));
      expect(backend.messages(KEY, 1, 10).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    } finally {
      backend.close();
    }
  });

  it('a failed sync fails every commit not yet durable and cuts the file back; the commits written again follow the last durable record', async () => {
    const held = heldSyncs();
    const file = join(newDir(), 'fix-sessions.log');
    // No zeros kept ahead: the file's size is where its records end.
    const backend = new FileFixSessionBackend(file, { io: held.io, preallocateBytes: 0 });
    try {
      const first = backend.write(batch(1));
      await eventually(() => expect(held.syncs.length).toBe(1));
      held.syncs[0]!(null);
      await first;
      const durableEnd = backend.size;
      const state = settledOrder([backend.write(batch(2)), backend.write(batch(3))]);
      await eventually(() => expect(held.syncs.length).toBe(3));
      expect(fs.statSync(file).size).toBeGreaterThan(durableEnd);
      // Record 2's sync fails while record 3's is out: neither may count as durable.
      held.syncs[1]!(new Error('EIO'));
      await eventually(() => expect(state.order).toEqual(['failed 1', 'failed 2']));
      held.syncs[2]!(null);
      expect(fs.statSync(file).size).toBe(durableEnd);
      expect(backend.load(KEY)).toEqual({ nextSender: 2, nextTarget: 1 });

      const again = settledOrder([backend.write(batch(2)), backend.write(batch(3))]);
      await eventually(() => expect(held.syncs.length).toBe(5));
      held.syncs[4]!(null);
      await eventually(() => expect(again.order).toEqual(['ok 1', 'ok 2']));
    } finally {
      backend.close();
    }
    const reopened = new FileFixSessionBackend(file);
    try {
      expect(reopened.load(KEY)).toEqual({ nextSender: 4, nextTarget: 1 });
      expect(reopened.messages(KEY, 1, 10).map((m) => m.raw)).toEqual([1, 2, 3].map((n) => batch(n).messages[0]![2]));
    } finally {
      reopened.close();
    }
  });

  it('the store hands over the next batch while one syncs, runs callbacks only once their batch is durable, in order, and writes both again after a failed sync', async () => {
    const held = heldSyncs();
    const file = join(newDir(), 'fix-sessions.log');
    const errors: unknown[] = [];
    const store = await FixSessionStore.open(new FileFixSessionBackend(file, { io: held.io }), { onCommitError: (e) => errors.push(e), retryMs: 5 });
    const ran: number[] = [];
    const queue = (n: number): void => {
      store.saveMessage(KEY, n, `34=${n}\x01`);
      store.saveSeqs(KEY, { nextSender: n + 1, nextTarget: 1 });
      store.whenCommitted(() => ran.push(n));
    };
    try {
      queue(1);
      await eventually(() => expect(held.syncs.length).toBe(1));
      queue(2);
      // Batch 2 is written while batch 1's sync is out; batch 3 waits for room.
      await eventually(() => expect(held.syncs.length).toBe(2));
      queue(3);
      await new Promise((resolve) => setImmediate(resolve));
      expect([held.writes(), store.committedBatch, ran]).toEqual([2, 0, []]);

      // Batch 1's sync fails: batches 1 and 2 are written again, in order, before batch 3.
      held.syncs[0]!(new Error('EIO'));
      held.syncs[1]!(null);
      await eventually(() => expect(held.syncs.length).toBe(4));
      expect(ran).toEqual([]);
      expect(errors).toHaveLength(1);
      held.syncs[3]!(null);
      await eventually(() => expect(ran).toEqual([1, 2]));
      await eventually(() => expect(held.syncs.length).toBe(5));
      held.syncs[2]!(null);
      held.syncs[4]!(null);
      await eventually(() => expect(ran).toEqual([1, 2, 3]));
    } finally {
      const closing = store.close(5_000);
      // Anything asked for by the close is returned at once.
      const release = setInterval(() => held.syncs.splice(0).forEach((done) => done(null)), 1);
      await closing;
      clearInterval(release);
    }
    const reopened = new FileFixSessionBackend(file);
    try {
      expect(reopened.load(KEY)).toEqual({ nextSender: 4, nextTarget: 1 });
      expect(reopened.messages(KEY, 1, 10).map((m) => m.seq)).toEqual([1, 2, 3]);
    } finally {
      reopened.close();
    }
  });

  it('writes records over zeros kept ahead of them, never zeros over a record; the zeros end the log at open', async () => {
    const file = join(newDir(), 'fix-sessions.log');
    // A small step, so the records outgrow it several times while fills run.
    const backend = new FileFixSessionBackend(file, { preallocateBytes: 256 });
    const sizes: number[] = [];
    try {
      for (let n = 1; n <= 60; n += 2) {
        await Promise.all([backend.write(batch(n)), backend.write(batch(n + 1))]);
        sizes.push(fs.statSync(file).size - backend.size);
      }
      // Zeros were ahead of the records at some point (the fills ran) ...
      expect(sizes.some((ahead) => ahead > 0)).toBe(true);
    } finally {
      await backend.close();
    }
    // ... and every record survived them.
    const reopened = new FileFixSessionBackend(file, { preallocateBytes: 0 });
    try {
      expect(reopened.load(KEY)).toEqual({ nextSender: 61, nextTarget: 1 });
      expect(reopened.messages(KEY, 1, 100).map((m) => m.raw)).toEqual(Array.from({ length: 60 }, (_, i) => batch(i + 1).messages[0]![2]));
      expect(fs.statSync(file).size).toBe(reopened.size);
    } finally {
      reopened.close();
    }
  });
});
