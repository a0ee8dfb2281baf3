/**
 * FIX session state in SQLite (fix-sessions.sqlite in the data directory): every answer is
 * synchronous, so with this backend a group commit completes within the event-loop turn that
 * started it.
 */
import { openDatabase, type SqliteDatabase } from '../../storage/sqlite.js';
import type { FixSessionBackend, FixStoreBatch, SequenceNumbers, StoredMessage } from './session-backend.js';

export class SqliteFixSessionBackend implements FixSessionBackend {
  private readonly db: SqliteDatabase;
  private readonly ownsDb: boolean;
  private readonly statements;
  private readonly writeBatch: (batch: FixStoreBatch) => void;

  /**
   * `synchronous`: FULL (default) makes each commit survive power loss; NORMAL survives a crash of
   * the process but may lose the last commits on power loss, for a fraction of the commit cost.
   */
  constructor(fileOrDb: string | SqliteDatabase, options: { synchronous?: 'FULL' | 'NORMAL' } = {}) {
    this.ownsDb = typeof fileOrDb === 'string';
    this.db = typeof fileOrDb === 'string' ? openDatabase(fileOrDb, { synchronous: options.synchronous ?? 'FULL' }) : fileOrDb;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS fix_session (
        session_key TEXT PRIMARY KEY,
        next_sender INTEGER NOT NULL,
        next_target INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS fix_message (
        session_key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        raw TEXT NOT NULL,
        PRIMARY KEY (session_key, seq)
      );
      CREATE TABLE IF NOT EXISTS fix_order_owner (
        order_id TEXT PRIMARY KEY,
        session_key TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
    this.statements = {
      allSeqs: this.db.prepare('SELECT session_key AS key, next_sender AS nextSender, next_target AS nextTarget FROM fix_session'),
      loadSeqs: this.db.prepare('SELECT next_sender AS nextSender, next_target AS nextTarget FROM fix_session WHERE session_key = ?'),
      upsertSeqs: this.db.prepare(
        'INSERT INTO fix_session (session_key, next_sender, next_target) VALUES (?, ?, ?) ON CONFLICT(session_key) DO UPDATE SET next_sender = excluded.next_sender, next_target = excluded.next_target',
      ),
      insertMessage: this.db.prepare('INSERT OR REPLACE INTO fix_message (session_key, seq, raw) VALUES (?, ?, ?)'),
      rangeMessages: this.db.prepare('SELECT seq, raw FROM fix_message WHERE session_key = ? AND seq BETWEEN ? AND ? ORDER BY seq'),
      deleteMessages: this.db.prepare('DELETE FROM fix_message WHERE session_key = ?'),
      insertOwner: this.db.prepare('INSERT OR REPLACE INTO fix_order_owner (order_id, session_key) VALUES (?, ?)'),
      owner: this.db.prepare('SELECT session_key AS key FROM fix_order_owner WHERE order_id = ?'),
      sessionKeys: this.db.prepare(
        'SELECT session_key AS key FROM fix_session UNION SELECT DISTINCT session_key FROM fix_message UNION SELECT DISTINCT session_key FROM fix_order_owner ORDER BY 1',
      ),
      hasSession: this.db.prepare('SELECT 1 FROM fix_session WHERE session_key = ? UNION ALL SELECT 1 FROM fix_message WHERE session_key = ? LIMIT 1'),
      renameSeqs: this.db.prepare('UPDATE fix_session SET session_key = ? WHERE session_key = ?'),
      renameMessages: this.db.prepare('UPDATE fix_message SET session_key = ? WHERE session_key = ?'),
      renameOwners: this.db.prepare('UPDATE fix_order_owner SET session_key = ? WHERE session_key = ?'),
    };
    this.writeBatch = this.db.transaction((batch: FixStoreBatch) => {
      for (const key of batch.resets) {
        this.statements.deleteMessages.run(key);
        this.statements.upsertSeqs.run(key, 1, 1);
      }
      for (const [key, seq, raw] of batch.messages) this.statements.insertMessage.run(key, seq, raw);
      for (const [key, s] of batch.seqs) this.statements.upsertSeqs.run(key, s.nextSender, s.nextTarget);
      for (const [orderId, key] of batch.owners) this.statements.insertOwner.run(orderId, key);
    });
  }

  loadAll(): Map<string, SequenceNumbers> {
    const rows = this.statements.allSeqs.all() as Array<SequenceNumbers & { key: string }>;
    return new Map(rows.map(({ key, nextSender, nextTarget }) => [key, { nextSender, nextTarget }]));
  }

  load(key: string): SequenceNumbers | undefined {
    return this.statements.loadSeqs.get(key) as SequenceNumbers | undefined;
  }

  messages(key: string, begin: number, end: number): StoredMessage[] {
    return (this.statements.rangeMessages.all(key, begin, end) as Array<{ seq: number; raw: Buffer | string }>).map((r) => ({
      seq: r.seq,
      raw: typeof r.raw === 'string' ? r.raw : r.raw.toString('latin1'),
    }));
  }

  orderOwner(orderId: string): string | undefined {
    return (this.statements.owner.get(orderId) as { key: string } | undefined)?.key;
  }

  write(batch: FixStoreBatch): void {
    this.writeBatch(batch);
  }

  /** Everything stored, as one batch (moving the sessions to another backend). */
  exportAll(): FixStoreBatch {
    const messages = (this.db.prepare('SELECT session_key AS key, seq, raw FROM fix_message ORDER BY session_key, seq').all() as Array<{ key: string; seq: number; raw: Buffer | string }>)
      .map((r): [string, number, string] => [r.key, r.seq, typeof r.raw === 'string' ? r.raw : r.raw.toString('latin1')]);
    const owners = (this.db.prepare('SELECT order_id AS orderId, session_key AS key FROM fix_order_owner').all() as Array<{ orderId: string; key: string }>)
      .map((r): [string, string] => [r.orderId, r.key]);
    return { resets: [], messages, seqs: [...this.loadAll()], owners };
  }

  /** Every session key with stored state (sequence numbers, sent messages or owned orders); for session-key-migration.ts. */
  sessionKeys(): string[] {
    return (this.statements.sessionKeys.all() as Array<{ key: string }>).map((r) => r.key);
  }

  /** True when a session has sequence numbers or sent messages stored under `key`. */
  hasSession(key: string): boolean {
    return this.statements.hasSession.get(key, key) !== undefined;
  }

  /** Moves everything stored under `from` (sequence numbers, sent messages, owned orders) to `to`, in one transaction. */
  renameSession(from: string, to: string): void {
    this.db.transaction(() => {
      this.statements.renameSeqs.run(to, from);
      this.statements.renameMessages.run(to, from);
      this.statements.renameOwners.run(to, from);
    })();
  }

  close(): void {
    if (this.ownsDb) this.db.close();
  }
}
