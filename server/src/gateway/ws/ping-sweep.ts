/**
 * Pings every connection once per interval, a slice at a time. Pinging all of them from one
 * timer callback is one socket write per connection in one go: at ten thousand connections it
 * held the event loop for about 85 ms, and every order acknowledgement in flight waited for it.
 *
 * Instead a short tick pings, for at most one time budget, the connections whose ping is due.
 * They are visited round robin in the connection set's order (a Set iterates in insertion order,
 * and its iterator survives additions and deletions), so the connection at the cursor is always
 * the one pinged longest ago: a tick stops at the first one not yet due. A connection that has
 * not answered (no pong, no message) by its next due ping is handed to `unanswered` instead.
 *
 * If the budget cannot keep up (more connections than the ticks' budgets ping in an interval),
 * pings come late rather than all at once; a connection is still never judged before it has had
 * a full interval to answer.
 */

export interface Pingable {
  /** Set by the connection on any pong or message; cleared here when a ping is sent. */
  alive: boolean;
}

export interface PingSweepOptions<T extends Pingable> {
  intervalMs: number;
  /** Time one tick may spend pinging, in milliseconds of `now`. */
  budgetMs: number;
  /** Monotonic milliseconds. */
  now: () => number;
  ping: (connection: T) => void;
  /** The connection did not answer its previous ping; it is closed by the caller. */
  unanswered: (connection: T) => void;
}

export class PingSweep<T extends Pingable> {
  readonly #connections: Set<T>;
  readonly #options: PingSweepOptions<T>;
  readonly #pingedAt = new WeakMap<T, number>();
  #cursor: Iterator<T>;
  /** The connection the cursor stopped at: visited first by the next tick. */
  #next: T | undefined;

  constructor(connections: Set<T>, options: PingSweepOptions<T>) {
    this.#connections = connections;
    this.#options = options;
    this.#cursor = connections.values();
  }

  /** Pings what is due, for at most one budget. */
  tick(): void {
    const { intervalMs, budgetMs, now, ping, unanswered } = this.#options;
    const deadline = now() + budgetMs;
    let wrapped = false;
    for (;;) {
      if (this.#next === undefined || !this.#connections.has(this.#next)) {
        let step = this.#cursor.next();
        if (step.done) {
          if (wrapped) return; // every connection was visited this tick
          wrapped = true;
          this.#cursor = this.#connections.values();
          step = this.#cursor.next();
          if (step.done) return;
        }
        this.#next = step.value;
      }
      const connection = this.#next;
      const at = now();
      const last = this.#pingedAt.get(connection);
      if (last !== undefined && at - last < intervalMs) return; // the rest were pinged later still
      if (at >= deadline) return;
      this.#next = undefined;
      if (last !== undefined && !connection.alive) {
        unanswered(connection);
        continue;
      }
      connection.alive = false;
      this.#pingedAt.set(connection, at);
      ping(connection);
    }
  }
}
