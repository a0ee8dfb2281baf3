/**
 * Keeps the PostgreSQL history up with the embedded one. The embedded history is projected from
 * the journal by the replica (and re-projected from the journal after a crash), so it is always
 * complete; this loop copies what it gained since PostgreSQL's projected_seq, in chunks of
 * sequence numbers, each one transaction. Nothing depends on PostgreSQL being up: while it is
 * unreachable, trading goes on and the loop retries every second; once it answers again the
 * loop catches up from where PostgreSQL's own projected_seq says it stopped, so nothing is lost
 * and nothing is written twice.
 */
import type { Logger } from 'pino';
import type { HistoryChangeReader } from './changes.js';
import { historyUnavailable, type PostgresHistory } from './postgres-history.js';

export interface PostgresProjectionOptions {
  /** The embedded history's changes. */
  source: HistoryChangeReader;
  target: PostgresHistory;
  /** Resolves once the embedded history holds every acknowledged command (DurableSequencer.historySynced). */
  localSynced: () => Promise<void>;
  /** The embedded history's projected seq. */
  localSeq: () => number;
  /** Calls `wake` when new events are acknowledged; returns unsubscribe. */
  subscribe: (wake: () => void) => () => void;
  logger: Logger;
  /** Sequence numbers copied per transaction at most (default 20,000). */
  chunkSeqs?: number;
  /** Wait between attempts while PostgreSQL is unreachable (default 1000 ms). */
  retryMs?: number;
  /** How long a read waits for the copy to reach its own writes (default 5000 ms). */
  syncTimeoutMs?: number;
}

export interface ProjectionStatus {
  ok: boolean;
  /** Seq PostgreSQL has reached, as last known. */
  seq: number;
  detail?: string;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

export class PostgresHistoryProjection {
  readonly #options: PostgresProjectionOptions;
  readonly #chunkSeqs: number;
  readonly #retryMs: number;
  readonly #syncTimeoutMs: number;
  readonly #unsubscribe: () => void;
  #waiters: Waiter[] = [];
  #seq = 0;
  /** Whether #seq was read from PostgreSQL since the last failure. */
  #known = false;
  #failure: string | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  #pendingWake = false;
  #stopPause: (() => void) | undefined;
  readonly #running: Promise<void>;

  constructor(options: PostgresProjectionOptions) {
    this.#options = options;
    this.#chunkSeqs = options.chunkSeqs ?? 20_000;
    this.#retryMs = options.retryMs ?? 1000;
    this.#syncTimeoutMs = options.syncTimeoutMs ?? 5000;
    this.#unsubscribe = options.subscribe(() => this.#signal());
    this.#running = this.#run();
  }

  status(): ProjectionStatus {
    return { ok: this.#failure === undefined, seq: this.#seq, ...(this.#failure !== undefined && { detail: this.#failure }) };
  }

  /**
   * Read-your-writes: resolves once PostgreSQL holds every command acknowledged before the call.
   * Rejects with 503 SERVICE_UNAVAILABLE at once while PostgreSQL is unreachable, or after the
   * timeout if the copy does not get there.
   */
  async synced(): Promise<void> {
    await this.#options.localSynced();
    const target = this.#options.localSeq();
    if (this.#failure !== undefined) throw historyUnavailable(this.#failure);
    if (this.#known && this.#seq >= target) return;
    this.#signal();
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        seq: target, resolve, reject,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(historyUnavailable(`it has not reached seq ${target} within ${this.#syncTimeoutMs} ms`));
        }, this.#syncTimeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    this.#signal();
    this.#stopPause?.();
    await this.#running;
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(historyUnavailable('the service is stopping'));
    }
  }

  #signal(): void {
    this.#pendingWake = true;
    this.#wake?.();
  }

  /** Resolves at the next signal (or at once if one came since the last wait), or after `ms`. */
  #sleep(ms: number): Promise<void> {
    if (this.#pendingWake || this.#closed) {
      this.#pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.#wake = undefined;
        self.#pendingWake = false;
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        if (!this.#known) {
          this.#seq = await this.#options.target.projectedSeq();
          this.#known = true;
        }
        await this.#options.localSynced();
        const changes = this.#options.source.since(this.#seq, this.#chunkSeqs);
        if (changes.toSeq > this.#seq) {
          await this.#options.target.apply(changes);
          this.#seq = changes.toSeq;
        }
        this.#recovered();
        this.#release();
        if (changes.toSeq >= this.#options.localSeq()) await this.#sleep(1000);
      } catch (error) {
        this.#failed(error);
        // Not woken by new events: the retry waits its full time, however busy trading is.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#retryMs);
          this.#stopPause = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#stopPause = undefined;
      }
    }
  }

  #recovered(): void {
    if (this.#failure === undefined) return;
    this.#failure = undefined;
    this.#options.logger.info({ seq: this.#seq }, 'history: PostgreSQL answers again; the copy is catching up');
  }

  #failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#failure === undefined) this.#options.logger.error({ err: error, seq: this.#seq }, 'history: cannot write to PostgreSQL; trading goes on, history reads answer 503 until it is back');
    this.#failure = message;
    // What PostgreSQL holds is read again once it answers: the failed transaction may or may not have committed.
    this.#known = false;
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(historyUnavailable(message));
    }
  }

  #release(): void {
    const waiting: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.seq <= this.#seq) {
        clearTimeout(w.timer);
        w.resolve();
      } else waiting.push(w);
    }
    this.#waiters = waiting;
  }
}
