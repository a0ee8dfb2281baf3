/**
 * The FIX session store over each backend (append-only file, SQLite, PostgreSQL): whatever the
 * sessions queue — sent messages, sequence numbers, resets, order owners — reads back as a simple
 * model says, before and after each commit and after the store is closed and opened again; and a
 * commit's callback runs only once what was queued before it can be read through another
 * connection, or (the file, which one process owns) by the file opened afresh: a message that
 * leaves is in the resend store.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresFixSessionBackend } from '../../../server/src/gateway/fix/postgres-session-backend.js';
import type { FixSessionBackend, SequenceNumbers, StoredMessage } from '../../../server/src/gateway/fix/session-backend.js';
import { FileFixSessionBackend } from '../../../server/src/gateway/fix/file-session-backend.js';
import { SqliteFixSessionBackend } from '../../../server/src/gateway/fix/sqlite-session-backend.js';
import { FixSessionStore } from '../../../server/src/gateway/fix/store.js';
import { connectPostgres, type PostgresPool } from '../../../server/src/storage/postgres.js';
import { tempDirs } from '../../durability/support/temp-dir.js';
import { eventually } from '../../helpers/eventually.js';
import { createTestDatabase, uniqueSchema, type TestDatabase } from '../../helpers/postgres.js';

/** A place that survives the store: opening a backend on it again sees what was committed. */
interface Place {
  open(): FixSessionBackend;
  /** False when only one process may hold the place open (the file): a second reader opens it afresh each time. */
  shared: boolean;
  /** Frees what the place holds (after the test). */
  drop(): Promise<void>;
}

let database: TestDatabase;
const pools: PostgresPool[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const pool of pools) await pool.end().catch(() => undefined);
  await database.drop();
});

const newDir = tempDirs('fix-session-store');
const BACKENDS: Array<[string, () => Promise<Place>]> = [
  ['an append-only file', async () => {
    const file = join(newDir(), 'fix-sessions.log');
    return { open: () => new FileFixSessionBackend(file, { synchronous: 'NORMAL' }), shared: false, drop: async () => {} };
  }],
  ['SQLite', async () => {
    const file = join(newDir(), 'fix-sessions.sqlite');
    return { open: () => new SqliteFixSessionBackend(file, { synchronous: 'NORMAL' }), shared: true, drop: async () => {} };
  }],
  ['PostgreSQL', async () => {
    // One schema for the file; each place empties its tables when dropped.
    if (pools.length === 0) pools.push(await connectPostgres(database.url, { schema: uniqueSchema(), max: 4 }));
    const pool = pools[0]!;
    return { open: () => new PostgresFixSessionBackend(pool), shared: true, drop: async () => void (await pool.query('TRUNCATE fix_session, fix_message, fix_order_owner')) };
  }],
];

type Op =
  | { kind: 'send'; session: number; raw: string }
  | { kind: 'target'; session: number }
  | { kind: 'reset'; session: number }
  | { kind: 'owner'; order: number; session: number }
  | { kind: 'commit' }
  | { kind: 'reopen' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), session: fc.nat(2), raw: fc.string({ unit: fc.constantFrom('8=FIX.4.4\x01', '35=8\x01', 'é', 'A', '\x01', '=') , maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('target' as const), session: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), session: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('owner' as const), order: fc.nat(5), session: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

/** What the store must answer: per session its numbers and sent messages, and each order's owner. */
class Model {
  readonly seqs = new Map<string, SequenceNumbers>();
  readonly messages = new Map<string, StoredMessage[]>();
  readonly owners = new Map<string, string>();
  seqsOf(key: string): SequenceNumbers {
    return this.seqs.get(key) ?? { nextSender: 1, nextTarget: 1 };
  }
}

const keyOf = (session: number) => `FIX.4.4:EXCH->C${session}|acc-${session}`;
const settled = (store: FixSessionStore) => new Promise<void>((resolve) => store.whenCommitted(resolve));

describe.each(BACKENDS)('FIX session store on %s', (_name, makePlace) => {
  it('reads back what was queued, committed or not, and all of it after closing and opening again', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
      const place = await makePlace();
      let store = await FixSessionStore.open(place.open());
      const model = new Model();
      const check = async () => {
        for (const session of [0, 1, 2]) {
          const key = keyOf(session);
          expect(store.load(key)).toEqual(model.seqsOf(key));
          const sent = model.messages.get(key) ?? [];
          expect(await store.messages(key, 1, 1_000)).toEqual(sent);
          if (sent.length > 1) expect(await store.messages(key, 2, sent.length - 1)).toEqual(sent.slice(1, -1));
        }
        for (let order = 0; order <= 5; order++) expect(await store.orderOwner(`o${order}`)).toBe(model.owners.get(`o${order}`));
      };
      try {
        for (const o of ops) {
          switch (o.kind) {
            case 'send': {
              const key = keyOf(o.session);
              const seqs = model.seqsOf(key);
              const raw = `34=${seqs.nextSender}\x01${o.raw}`;
              store.saveMessage(key, seqs.nextSender, raw);
              model.messages.set(key, [...(model.messages.get(key) ?? []), { seq: seqs.nextSender, raw }]);
              model.seqs.set(key, { ...seqs, nextSender: seqs.nextSender + 1 });
              store.saveSeqs(key, model.seqsOf(key));
              break;
            }
            case 'target': {
              const key = keyOf(o.session);
              const seqs = model.seqsOf(key);
              model.seqs.set(key, { ...seqs, nextTarget: seqs.nextTarget + 1 });
              store.saveSeqs(key, model.seqsOf(key));
              break;
            }
            case 'reset':
              store.reset(keyOf(o.session));
              model.seqs.set(keyOf(o.session), { nextSender: 1, nextTarget: 1 });
              model.messages.delete(keyOf(o.session));
              break;
            case 'owner':
              store.saveOrderOwner(`o${o.order}`, keyOf(o.session));
              model.owners.set(`o${o.order}`, keyOf(o.session));
              break;
            case 'commit':
              await settled(store);
              break;
            case 'reopen':
              await store.close();
              store = await FixSessionStore.open(place.open());
              break;
          }
          await check();
        }
        await store.close();
        store = await FixSessionStore.open(place.open());
        await check();
      } finally {
        await store.close();
        await place.drop();
      }
    }), { numRuns: 15 });
  });

  it('runs a commit callback only once another connection reads what was queued before it', async () => {
    const place = await makePlace();
    const store = await FixSessionStore.open(place.open());
    const reader = place.shared ? place.open() : undefined;
    /** What another gateway reads now, or what the file holds when opened afresh (as after a crash). */
    const readNow = (key: string, seq: number): Promise<StoredMessage[]> => {
      if (reader) return Promise.resolve(reader.messages(key, seq, seq));
      const fresh = place.open();
      const rows = fresh.messages(key, seq, seq);
      void fresh.close();
      return Promise.resolve(rows);
    };
    const key = keyOf(0);
    try {
      const seen: Array<Promise<StoredMessage[]>> = [];
      for (let seq = 1; seq <= 30; seq++) {
        store.saveMessage(key, seq, `34=${seq}\x01`);
        store.saveSeqs(key, { nextSender: seq + 1, nextTarget: 1 });
        // What leaves after this callback must already be readable by another gateway.
        store.whenCommitted(() => seen.push(readNow(key, seq)));
        if (seq % 7 === 0) await settled(store);
      }
      await settled(store);
      const answers = await Promise.all(seen);
      expect(answers.map((rows) => rows.map((r) => r.seq))).toEqual(Array.from({ length: 30 }, (_, i) => [i + 1]));
      if (reader) expect(await reader.load(key)).toEqual({ nextSender: 31, nextTarget: 1 });
    } finally {
      await store.close();
      if (!reader) {
        const fresh = place.open();
        expect(fresh.load(key)).toEqual({ nextSender: 31, nextTarget: 1 });
        await fresh.close();
      }
      await reader?.close();
      await place.drop();
    }
  });

  it('a reset forgets the session\'s messages at once, even while older writes are still being committed', async () => {
    const place = await makePlace();
    const store = await FixSessionStore.open(place.open());
    const key = keyOf(1);
    try {
      store.saveMessage(key, 1, 'old-1');
      store.saveMessage(key, 2, 'old-2');
      store.saveSeqs(key, { nextSender: 3, nextTarget: 5 });
      await settled(store);
      store.saveMessage(key, 3, 'old-3');
      store.commit(); // in flight (PostgreSQL) or done (SQLite)
      store.reset(key);
      store.saveMessage(key, 1, 'new-1');
      store.saveSeqs(key, { nextSender: 2, nextTarget: 1 });
      expect(await store.messages(key, 1, 10)).toEqual([{ seq: 1, raw: 'new-1' }]);
      expect(store.load(key)).toEqual({ nextSender: 2, nextTarget: 1 });
      await settled(store);
      expect(await store.messages(key, 1, 10)).toEqual([{ seq: 1, raw: 'new-1' }]);
      await store.close();
      const reopened = await FixSessionStore.open(place.open());
      expect(await reopened.messages(key, 1, 10)).toEqual([{ seq: 1, raw: 'new-1' }]);
      expect(reopened.load(key)).toEqual({ nextSender: 2, nextTarget: 1 });
      await reopened.close();
    } finally {
      await store.close();
      await place.drop();
    }
  });
});

describe('FIX session store whose backend refuses every commit', () => {
  it('lets nothing leave, reports each failed attempt, and close gives up after its timeout', async () => {
    const errors: unknown[] = [];
    let attempts = 0;
    const refusing: FixSessionBackend = {
      loadAll: () => new Map(), load: () => undefined, messages: () => [], orderOwner: () => undefined,
      write: async () => {
        attempts++;
        throw new Error('database unreachable');
      },
      close: () => undefined,
    };
    const store = await FixSessionStore.open(refusing, { onCommitError: (err) => errors.push(err), retryMs: 10 });
    let left = false;
    store.saveMessage(keyOf(0), 1, '34=1\x01');
    store.whenCommitted(() => (left = true));
    await eventually(() => expect(attempts).toBeGreaterThanOrEqual(3));
    expect(left).toBe(false);
    expect(store.committedBatch).toBe(0);
    expect(errors.every((e) => e instanceof Error && e.message === 'database unreachable')).toBe(true);
    // Resolves although the batch never committed; its callback never runs.
    await store.close(50);
    expect(left).toBe(false);
  });
});
