/**
 * The dead-man's switch: cancels all of an account's orders unless the client refreshes it in
 * time. Deadlines are stored, so a restart re-arms them, and a deadline that passed while the
 * service was down fires on start-up.
 */
import type { Logger } from '../observability/logger.js';
import type { SqliteDatabase } from '../storage/sqlite.js';

export interface DeadManState { armed: boolean; timeoutSeconds?: number; cancelAt?: number }

export class DeadManSwitches {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Switches that fired and whose cancel is under way: no longer armed, though their row stays until it succeeds. */
  readonly #firing = new Map<string, number>();
  readonly #upsert;
  readonly #remove;
  readonly #removeFired;
  readonly #select;
  readonly #all;

  constructor(
    db: SqliteDatabase,
    private readonly fire: (accountId: string) => Promise<unknown>,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {
    db.exec('CREATE TABLE IF NOT EXISTS dead_man_switch (account_id TEXT PRIMARY KEY, timeout_s INTEGER NOT NULL, cancel_at INTEGER NOT NULL)');
    this.#upsert = db.prepare('INSERT OR REPLACE INTO dead_man_switch (account_id, timeout_s, cancel_at) VALUES (?, ?, ?)');
    this.#remove = db.prepare('DELETE FROM dead_man_switch WHERE account_id = ?');
    // Only the deadline that fired: a switch armed again while the cancel ran stays.
    this.#removeFired = db.prepare('DELETE FROM dead_man_switch WHERE account_id = ? AND cancel_at = ?');
    this.#select = db.prepare('SELECT timeout_s AS timeoutSeconds, cancel_at AS cancelAt FROM dead_man_switch WHERE account_id = ?');
    this.#all = db.prepare('SELECT account_id AS accountId, cancel_at AS cancelAt FROM dead_man_switch');
  }

  /** Re-arms every stored switch; those already due fire now. */
  restore(): void {
    for (const row of this.#all.all() as { accountId: string; cancelAt: number }[]) this.#schedule(row.accountId, row.cancelAt);
  }

  /** Arms or refreshes (timeoutSeconds > 0), or disarms (0). */
  set(accountId: string, timeoutSeconds: number): DeadManState {
    this.#clear(accountId);
    this.#firing.delete(accountId);
    if (timeoutSeconds === 0) {
      this.#remove.run(accountId);
      return { armed: false };
    }
    const cancelAt = this.clock() + timeoutSeconds * 1000;
    this.#upsert.run(accountId, timeoutSeconds, cancelAt);
    this.#schedule(accountId, cancelAt);
    return { armed: true, timeoutSeconds, cancelAt };
  }

  get(accountId: string): DeadManState {
    if (this.#firing.has(accountId)) return { armed: false };
    const row = this.#select.get(accountId) as { timeoutSeconds: number; cancelAt: number } | undefined;
    return row ? { armed: true, timeoutSeconds: row.timeoutSeconds, cancelAt: row.cancelAt } : { armed: false };
  }

  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #schedule(accountId: string, cancelAt: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(accountId);
      this.#firing.set(accountId, cancelAt);
      const done = (): boolean => {
        const mine = this.#firing.get(accountId) === cancelAt;
        if (mine) this.#firing.delete(accountId);
        return mine;
      };
      this.fire(accountId).then(
        () => {
          done();
          this.#removeFired.run(accountId, cancelAt);
          this.logger.info({ accountId }, 'dead-man switch fired: orders canceled');
        },
        (err: unknown) => {
          // Keep the row (armed again): the next start-up fires it again rather than leave orders exposed.
          done();
          this.logger.error({ err, accountId }, 'dead-man switch could not cancel orders');
        },
      );
    }, Math.max(0, cancelAt - this.clock()));
    timer.unref();
    this.#timers.set(accountId, timer);
  }

  #clear(accountId: string): void {
    const timer = this.#timers.get(accountId);
    if (timer) clearTimeout(timer);
    this.#timers.delete(accountId);
  }
}
