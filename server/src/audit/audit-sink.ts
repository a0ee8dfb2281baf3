/**
 * Where operator actions and API key changes are recorded. The service writes each entry through
 * an AuditSink; sinks can be combined (fanOut), so an append-only table in PostgreSQL and another
 * audit log (for example a hash-chained one) can both receive every entry.
 */

export interface AuditEntry {
  /** When it happened, integer ms. */
  at: number;
  /** Who did it: the key id of the authenticated caller. */
  actor: string;
  /** What was done: the operation id (e.g. `operatorCreateAccount`, `revokeApiKey`). */
  action: string;
  /** What it was done to: an account id, a key id, a symbol. */
  subject: string;
  /** The request's parameters (never secrets). */
  detail: Record<string, unknown>;
  /** The client address the request came from. */
  ip?: string;
  /** The request's X-Request-Id. */
  requestId?: string;
}

export interface AuditSink {
  /** Resolves once the entry is recorded; rejects if it could not be. */
  record(entry: AuditEntry): Promise<void>;
}

/** Entries kept in memory, in order (tests, and a process without a durable sink). */
export class MemoryAuditSink implements AuditSink {
  readonly entries: AuditEntry[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
  }
}

/** Records each entry in every sink; fails if any of them failed (after all were tried). */
export function fanOutAudit(...sinks: AuditSink[]): AuditSink {
  return {
    async record(entry) {
      const results = await Promise.allSettled(sinks.map((sink) => sink.record(entry)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
