/**
 * FIX session state in PostgreSQL (stores: external), so a session that moves to another gateway
 * finds its sequence numbers and sent messages there. Each group commit is one transaction of at
 * most four statements (arrays through unnest), whatever the number of messages in it.
 */
import { inTransaction, type PostgresPool } from '../../storage/postgres.js';
import type { FixSessionBackend, FixStoreBatch, SequenceNumbers, StoredMessage } from './session-backend.js';

export class PostgresFixSessionBackend implements FixSessionBackend {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  async loadAll(): Promise<Map<string, SequenceNumbers>> {
    const { rows } = await this.#pool.query<{ key: string; nextSender: number; nextTarget: number }>(
      'SELECT session_key AS key, next_sender AS "nextSender", next_target AS "nextTarget" FROM fix_session',
    );
    return new Map(rows.map(({ key, nextSender, nextTarget }) => [key, { nextSender, nextTarget }]));
  }

  async load(key: string): Promise<SequenceNumbers | undefined> {
    const { rows } = await this.#pool.query<SequenceNumbers>(
      'SELECT next_sender AS "nextSender", next_target AS "nextTarget" FROM fix_session WHERE session_key = $1', [key],
    );
    return rows[0];
  }

  async messages(key: string, begin: number, end: number): Promise<StoredMessage[]> {
    const { rows } = await this.#pool.query<{ seq: number; raw: Buffer }>(
      'SELECT seq, raw FROM fix_message WHERE session_key = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq', [key, begin, end],
    );
    return rows.map((r) => ({ seq: r.seq, raw: r.raw.toString('latin1') }));
  }

  async orderOwner(orderId: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ key: string }>('SELECT session_key AS key FROM fix_order_owner WHERE order_id = $1', [orderId]);
    return rows[0]?.key;
  }

  async write(batch: FixStoreBatch): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      if (batch.resets.length > 0) {
        await client.query('DELETE FROM fix_message WHERE session_key = ANY($1::text[])', [batch.resets]);
        await upsertSeqs(client, batch.resets.map((key) => [key, { nextSender: 1, nextTarget: 1 }]));
      }
      if (batch.messages.length > 0) {
        // A key and seq can repeat within a batch only after a reset in between; the last one wins, as in SQLite.
        const last = new Map(batch.messages.map(([key, seq, raw]) => [`${seq}|${key}`, [key, seq, raw] as const]));
        const messages = [...last.values()];
        await client.query(
          `INSERT INTO fix_message (session_key, seq, raw) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
           ON CONFLICT (session_key, seq) DO UPDATE SET raw = excluded.raw`,
          [messages.map((m) => m[0]), messages.map((m) => m[1]), messages.map((m) => Buffer.from(m[2], 'latin1'))],
        );
      }
      if (batch.seqs.length > 0) await upsertSeqs(client, batch.seqs);
      if (batch.owners.length > 0) {
        const last = new Map(batch.owners);
        await client.query(
          `INSERT INTO fix_order_owner (order_id, session_key) SELECT * FROM unnest($1::text[], $2::text[])
           ON CONFLICT (order_id) DO UPDATE SET session_key = excluded.session_key`,
          [[...last.keys()], [...last.values()]],
        );
      }
    });
  }

  /** The pool belongs to the external stores, which close it. */
  close(): void {}
}

async function upsertSeqs(client: { query: PostgresPool['query'] }, seqs: Array<[string, SequenceNumbers]>): Promise<void> {
  const last = new Map(seqs);
  await client.query(
    `INSERT INTO fix_session (session_key, next_sender, next_target) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
     ON CONFLICT (session_key) DO UPDATE SET next_sender = excluded.next_sender, next_target = excluded.next_target`,
    [[...last.keys()], [...last.values()].map((s) => s.nextSender), [...last.values()].map((s) => s.nextTarget)],
  );
}
