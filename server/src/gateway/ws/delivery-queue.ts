/**
 * The gateway's outbound stream and market data, sent in bounded chunks across turns of the
 * event loop. A batch of events can owe a frame to ten thousand subscribers; sending them all
 * in one go would hold the loop (and every order acknowledgement and journal write behind it)
 * for the whole broadcast. Instead each frame is queued with the subscribers it is owed to
 * (fixed when it is queued), and each turn sends until its time budget is spent, then yields
 * (setImmediate) so the I/O waiting behind it runs: a request, a journal sync, a reply.
 *
 * A time budget rather than a count: what one send costs varies tenfold (frame size, whether
 * the socket takes it at once, how busy the machine is), so a fixed count either holds the
 * loop for milliseconds when sends are dear or wastes turns when they are cheap. The sockets'
 * writes leave when the turn's write batch is released, after the last send, so the clock
 * read between sends does not see them; the turn therefore also keeps an estimate of a send's
 * whole cost (release included) and sends no more than the budget pays for at that cost.
 *
 * When the loop is busy with other work (commands arriving back to back), a turn may also take
 * as long as the loop made it wait since it was scheduled, up to `MAX_BUDGETS` budgets: the
 * delivery then keeps up to half of the loop, not a sliver that would let private streams pile
 * up in the queue, and an acknowledgement waits behind a chunk no longer than the work before it.
 *
 * One FIFO for everything the gateway streams keeps each connection's frames in the order
 * they were produced, which is sequence order. Answers to requests do not queue here.
 */
import { performance } from 'node:perf_hooks';
import type { WriteBatch } from './write-batch.js';

interface Job {
  readonly targets: readonly unknown[];
  readonly send: (target: unknown) => void;
}

export type Schedule = (turn: () => void) => void;

export interface DeliveryLimits {
  /** Time one turn may spend sending, in microseconds; every turn makes at least one send. */
  budgetMicros: number;
  /** Most sends in one turn whatever the time: a cap for when sends are very cheap. */
  maxSendsPerTurn: number;
}

export interface DeliveryOptions {
  /** Monotonic milliseconds (default performance.now); tests pass a fake clock. */
  now?: () => number;
  /** How the next chunk is scheduled (default: setImmediate, after I/O; tests step turns by hand). */
  schedule?: Schedule;
}

/** Weight of the newest turn in the estimate of a send's cost. */
const COST_WEIGHT = 0.25;
/** The longest a turn may take, in budgets, however long the loop made it wait. */
export const MAX_BUDGETS = 32;

export class DeliveryQueue {
  readonly #jobs: Job[] = [];
  /** Next target of the head job. */
  #cursor = 0;
  #pendingSends = 0;
  #scheduled = false;
  /** When the pending turn was asked for (monotonic ms). */
  #scheduledAt = 0;
  /** Estimated milliseconds one send costs, its share of releasing the writes included (0: none yet). */
  #sendCostMs = 0;
  readonly #budgetMs: number;
  readonly #maxSends: number;
  readonly #now: () => number;
  readonly #schedule: Schedule;

  constructor(
    private readonly writes: Pick<WriteBatch, 'run'>,
    limits: DeliveryLimits,
    options: DeliveryOptions = {},
  ) {
    this.#budgetMs = limits.budgetMicros / 1000;
    this.#maxSends = Math.max(1, limits.maxSendsPerTurn);
    this.#now = options.now ?? (() => performance.now());
    this.#schedule = options.schedule ?? ((turn) => void setImmediate(turn));
  }

  /** Queues `send(target)` for every target, after everything queued before. */
  push<T>(targets: readonly T[], send: (target: T) => void): void {
    if (targets.length === 0) return;
    this.#jobs.push({ targets, send: send as (target: unknown) => void });
    this.#pendingSends += targets.length;
    this.#scheduleTurn();
  }

  /** Sends queued but not yet made. */
  get pendingSends(): number {
    return this.#pendingSends;
  }

  /** Drops everything queued (the gateway is closing). */
  clear(): void {
    this.#jobs.length = 0;
    this.#cursor = 0;
    this.#pendingSends = 0;
  }

  #scheduleTurn(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#scheduledAt = this.#now();
    this.#schedule(() => this.#turn());
  }

  #turn(): void {
    this.#scheduled = false;
    const start = this.#now();
    const budgetMs = Math.min(this.#budgetMs * MAX_BUDGETS, Math.max(this.#budgetMs, start - this.#scheduledAt));
    const deadline = start + budgetMs;
    const affordable = this.#sendCostMs > 0 ? Math.floor(budgetMs / this.#sendCostMs) : Infinity;
    const cap = Math.max(1, Math.min(this.#maxSends, affordable));
    let sent = 0;
    try {
      this.writes.run(() => {
        // One send at a time, the clock read after each: the head job's cursor always names
        // the next target, so stopping anywhere keeps every subscriber's frames in order.
        while (this.#jobs.length > 0) {
          const job = this.#jobs[0]!;
          const target = job.targets[this.#cursor++];
          this.#pendingSends--;
          if (this.#cursor === job.targets.length) {
            this.#jobs.shift();
            this.#cursor = 0;
          }
          sent++;
          job.send(target);
          if (sent >= cap || this.#now() >= deadline) break;
        }
      });
    } finally {
      if (sent > 0) {
        const cost = (this.#now() - start) / sent;
        this.#sendCostMs = this.#sendCostMs === 0 ? cost : this.#sendCostMs + COST_WEIGHT * (cost - this.#sendCostMs);
      }
      // Even if a send threw, what is still queued gets its turn.
      if (this.#jobs.length > 0) this.#scheduleTurn();
    }
  }
}
