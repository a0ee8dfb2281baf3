/**
 * Durable FIX session state in SQLite: next sender and target sequence numbers, the application
 * messages sent (for ResendRequest), and which session owns which order. Writes are grouped:
 * everything queued during one turn of the event loop is committed in one transaction, and only
 * then are the sessions' outbound bytes written to their sockets, so the counterparty never sees
 * a sequence number that a restart could reuse.
 */
import type { SqliteDatabase } from '../../storage/sqlite.js';
import { openDatabase } from '../../storage/sqlite.js';

export interface SequenceNumbers {
  nextSender: number;
  nextTarget: number;
}

export interface StoredMessage {
  seq: number;
  raw: string;
}

/** Called after each commit so sessions can write what the commit made durable. */
export type AfterCommit = () => void;

export class FixSessionStore {
  private readonly db: SqliteDatabase;
  private readonly ownsDb: boolean;
  private pendingMessages: Array<[key: string, seq: number, raw: string]> = [];
  private pendingSeqs = new Map<string, SequenceNumbers>();
  private pendingOwners: Array<[orderId: string, key: string]> = [];
  private afterCommit = new Set<AfterCommit>();
  private scheduled = false;
  private closed = false;
  private readonly statements;

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
      loadSeqs: this.db.prepare('SELECT next_sender AS nextSender, next_target AS nextTarget FROM fix_session WHERE session_key = ?'),
      upsertSeqs: this.db.prepare(
        'INSERT INTO fix_session (session_key, next_sender, next_target) VALUES (?, ?, ?) ON CONFLICT(session_key) DO UPDATE SET next_sender = excluded.next_sender, next_target = excluded.next_target',
      ),
      insertMessage: this.db.prepare('INSERT OR REPLACE INTO fix_message (session_key, seq, raw) VALUES (?, ?, ?)'),
      rangeMessages: this.db.prepare('SELECT seq, raw FROM fix_message WHERE session_key = ? AND seq BETWEEN ? AND ? ORDER BY seq'),
      deleteMessages: this.db.prepare('DELETE FROM fix_message WHERE session_key = ?'),
      insertOwner: this.db.prepare('INSERT OR REPLACE INTO fix_order_owner (order_id, session_key) VALUES (?, ?)'),
      sessionKeys: this.db.prepare(
        'SELECT session_key AS key FROM fix_session UNION SELECT DISTINCT session_key FROM fix_message UNION SELECT DISTINCT session_key FROM fix_order_owner ORDER BY 1',
      ),
      hasSession: this.db.prepare('SELECT 1 FROM fix_session WHERE session_key = ? UNION ALL SELECT 1 FROM fix_message WHERE session_key = ? LIMIT 1'),
      renameSeqs: this.db.prepare('UPDATE fix_session SET session_key = ? WHERE session_key = ?'),
      renameMessages: this.db.prepare('UPDATE fix_message SET session_key = ? WHERE session_key = ?'),
      renameOwners: this.db.prepare('UPDATE fix_order_owner SET session_key = ? WHERE session_key = ?'),
      owner: this.db.prepare('SELECT session_key AS key FROM fix_order_owner WHERE order_id = ?'),
    };
  }

  load(key: string): SequenceNumbers {
    const pending = this.pendingSeqs.get(key);
    if (pending) return { ...pending };
    const row = this.statements.loadSeqs.get(key) as SequenceNumbers | undefined;
    return row ?? { nextSender: 1, nextTarget: 1 };
  }

  /** Queues new sequence numbers for the next commit. */
  saveSeqs(key: string, seqs: SequenceNumbers): void {
    this.pendingSeqs.set(key, { ...seqs });
    this.schedule();
  }

  /** Queues a sent application message for the next commit. */
  saveMessage(key: string, seq: number, raw: string): void {
    this.pendingMessages.push([key, seq, raw]);
    this.schedule();
  }

  saveOrderOwner(orderId: string, key: string): void {
    this.pendingOwners.push([orderId, key]);
    this.schedule();
  }

  orderOwner(orderId: string): string | undefined {
    for (let i = this.pendingOwners.length - 1; i >= 0; i--) if (this.pendingOwners[i]![0] === orderId) return this.pendingOwners[i]![1];
    return (this.statements.owner.get(orderId) as { key: string } | undefined)?.key;
  }

  /** Stored messages with begin <= seq <= end (committed ones and ones waiting for the commit). */
  messages(key: string, begin: number, end: number): StoredMessage[] {
    const rows = (this.statements.rangeMessages.all(key, begin, end) as Array<{ seq: number; raw: Buffer | string }>).map((r) => ({
      seq: r.seq,
      raw: typeof r.raw === 'string' ? r.raw : r.raw.toString('latin1'),
    }));
    const pending = this.pendingMessages.filter(([k, s]) => k === key && s >= begin && s <= end).map(([, seq, raw]) => ({ seq, raw }));
    if (pending.length === 0) return rows;
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    for (const p of pending) bySeq.set(p.seq, p);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Forgets a session's messages and restarts both sequence numbers at 1 (committed at once). */
  reset(key: string): void {
    this.pendingMessages = this.pendingMessages.filter(([k]) => k !== key);
    this.pendingSeqs.delete(key);
    this.db.transaction(() => {
      this.statements.deleteMessages.run(key);
      this.statements.upsertSeqs.run(key, 1, 1);
    })();
  }

  /** Every session key with stored state (sequence numbers, sent messages or owned orders). */
  sessionKeys(): string[] {
    this.commit();
    return (this.statements.sessionKeys.all() as Array<{ key: string }>).map((r) => r.key);
  }

  /** True when a session has sequence numbers or sent messages stored under `key`. */
  hasSession(key: string): boolean {
    this.commit();
    return this.statements.hasSession.get(key, key) !== undefined;
  }

  /** Moves everything stored under `from` (sequence numbers, sent messages, owned orders) to `to`, in one transaction. */
  renameSession(from: string, to: string): void {
    this.commit();
    this.db.transaction(() => {
      this.statements.renameSeqs.run(to, from);
      this.statements.renameMessages.run(to, from);
      this.statements.renameOwners.run(to, from);
    })();
  }

  /** Runs `callback` after the next commit (or right after scheduling one, if nothing is pending). */
  whenCommitted(callback: AfterCommit): void {
    this.afterCommit.add(callback);
    this.schedule();
  }

  /** Commits everything queued now. */
  commit(): void {
    this.scheduled = false;
    if (this.closed) return;
    const messages = this.pendingMessages;
    const seqs = this.pendingSeqs;
    const owners = this.pendingOwners;
    if (messages.length > 0 || seqs.size > 0 || owners.length > 0) {
      this.pendingMessages = [];
      this.pendingSeqs = new Map();
      this.pendingOwners = [];
      this.db.transaction(() => {
        for (const [key, seq, raw] of messages) this.statements.insertMessage.run(key, seq, raw);
        for (const [key, s] of seqs) this.statements.upsertSeqs.run(key, s.nextSender, s.nextTarget);
        for (const [orderId, key] of owners) this.statements.insertOwner.run(orderId, key);
      })();
    }
    const callbacks = this.afterCommit;
    this.afterCommit = new Set();
    for (const cb of callbacks) cb();
  }

  close(): void {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    if (this.ownsDb) this.db.close();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.commit());
  }
}
