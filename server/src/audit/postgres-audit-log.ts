/**
 * The audit log in PostgreSQL: one row per entry in `audit_log`, which triggers keep append-only
 * (an UPDATE, DELETE or TRUNCATE fails). Read back in order for inspection.
 */
import type { PostgresPool } from '../storage/postgres.js';
import type { AuditEntry, AuditSink } from './audit-sink.js';

export class PostgresAuditLog implements AuditSink {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.#pool.query('INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)', [
      entry.at, entry.actor, entry.action, entry.subject, JSON.stringify(entry.detail),
    ]);
  }

  /** Entries about `subject` (or all), oldest first. */
  async entries(subject?: string): Promise<AuditEntry[]> {
    const { rows } = await this.#pool.query<{ at: number; actor: string; action: string; subject: string; detail: Record<string, unknown> }>(
      subject === undefined ? 'SELECT * FROM audit_log ORDER BY id' : 'SELECT * FROM audit_log WHERE subject = $1 ORDER BY id',
      subject === undefined ? [] : [subject],
    );
    return rows.map(({ at, actor, action, subject: s, detail }) => ({ at, actor, action, subject: s, detail }));
  }
}
