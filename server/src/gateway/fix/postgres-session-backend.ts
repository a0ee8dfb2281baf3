/**
 * FIX session state in PostgreSQL (stores: external), so a session that moves to another gateway
 * finds its sequence numbers and sent messages there. Each group commit is one transaction of at
 * most four statements (arrays through unnest), whatever the number of messages in it.
 */
import { inTransaction, type PostgresPool } from '../../storage/postgres.js';
import type { AbsentSessionAppend, FixStoreBatch, SequenceNumbers, SharedFixSessionBackend, StoredMessage } from './session-backend.js';

export class PostgresFixSessionBackend implements SharedFixSessionBackend {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  async loadAll(): Promise<Map<string, SequenceNumbers>> {
    const { rows } = await this.#pool.query<Required<SequenceNumbers> & { key: string }>(
      'SELECT session_key AS key, next_sender AS "nextSender", next_target AS "nextTarget", reported_event AS "reportedEvent" FROM fix_session',
    );
    return new Map(rows.map(({ key, ...seqs }) => [key, numbers(seqs)]));
  }

  async load(key: string): Promise<SequenceNumbers | undefined> {
    const { rows } = await this.#pool.query<Required<SequenceNumbers>>(
      'SELECT next_sender AS "nextSender", next_target AS "nextTarget", reported_event AS "reportedEvent" FROM fix_session WHERE session_key = $1', [key],
    );
    return rows[0] && numbers(rows[0]);
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

  /**
   * Sequences and stores a message for a session logged on at no gateway: the session's row is
   * locked, so gateways storing for it at once take turns, and one that finds the event already
   * reported (reported_event) stores nothing.
   */
  async appendForAbsentSession({ key, event, encode }: AbsentSessionAppend): Promise<{ stored: boolean; seqs: SequenceNumbers }> {
    return inTransaction(this.#pool, async (client) => {
      await client.query('INSERT INTO fix_session (session_key, next_sender, next_target) VALUES ($1, 1, 1) ON CONFLICT (session_key) DO NOTHING', [key]);
      const { rows } = await client.query<Required<SequenceNumbers>>(
        'SELECT next_sender AS "nextSender", next_target AS "nextTarget", reported_event AS "reportedEvent" FROM fix_session WHERE session_key = $1 FOR UPDATE', [key],
      );
      const current = rows[0]!;
      if (event !== undefined && current.reportedEvent >= event) return { stored: false, seqs: numbers(current) };
      const seq = current.nextSender;
      await client.query(
        'INSERT INTO fix_message (session_key, seq, raw) VALUES ($1, $2, $3) ON CONFLICT (session_key, seq) DO UPDATE SET raw = excluded.raw',
        [key, seq, Buffer.from(encode(seq), 'latin1')],
      );
      const reportedEvent = Math.max(current.reportedEvent, event ?? 0);
      await client.query('UPDATE fix_session SET next_sender = $2, reported_event = $3 WHERE session_key = $1', [key, seq + 1, reportedEvent]);
      return { stored: true, seqs: { nextSender: seq + 1, nextTarget: current.nextTarget, reportedEvent } };
    });
  }

  async ordersOwnedBy(key: string, orderIds: readonly string[]): Promise<string[]> {
    if (orderIds.length === 0) return [];
    const { rows } = await this.#pool.query<{ id: string }>(
      'SELECT order_id AS id FROM fix_order_owner WHERE session_key = $1 AND order_id = ANY($2::text[])', [key, orderIds],
    );
    return rows.map((r) => r.id);
  }

  /** The pool belongs to the external stores, which close it. */
  close(): void {}
}

/** A row's numbers; the reported event only where one was reported (the embedded store keeps none). */
function numbers({ nextSender, nextTarget, reportedEvent }: Required<SequenceNumbers>): SequenceNumbers {
  return reportedEvent > 0 ? { nextSender, nextTarget, reportedEvent } : { nextSender, nextTarget };
}

/** The reported event only ever grows: a reset restarts the numbers, not what was reported. */
async function upsertSeqs(client: { query: PostgresPool['query'] }, seqs: Array<[string, SequenceNumbers]>): Promise<void> {
  const last = new Map(seqs);
  await client.query(
    `INSERT INTO fix_session (session_key, next_sender, next_target, reported_event) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])
     ON CONFLICT (session_key) DO UPDATE SET next_sender = excluded.next_sender, next_target = excluded.next_target,
       reported_event = GREATEST(fix_session.reported_event, excluded.reported_event)`,
    [[...last.keys()], [...last.values()].map((s) => s.nextSender), [...last.values()].map((s) => s.nextTarget), [...last.values()].map((s) => s.reportedEvent ?? 0)],
  );
}
