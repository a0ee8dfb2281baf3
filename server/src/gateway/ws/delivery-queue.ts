/**
 * The gateway's outbound streams, sent in bounded chunks across turns of the event loop. A batch
 * of events can owe a frame to ten thousand subscribers; sending them all in one go would hold
 * the loop (and every order acknowledgement and journal write behind it) for the whole
 * broadcast. Instead each frame is queued with the subscribers it is owed to (fixed when it is
 * queued), and each turn sends for a bounded time, then yields (setImmediate) so the I/O waiting
 * behind it runs: a request, a journal sync, a reply.
 *
 * Two lanes. Private streams (an account's orders, fills, balances, and the heartbeats that vouch
 * for them) go first in every turn: they are few, never skipped, and a trader waits on them as on
 * an acknowledgement. Market data follows, for at most one time budget a turn, however long the
 * loop made the turn wait: when the gateway cannot keep up, market data is what gets conflated
 * (market-data.ts), and acknowledgements never wait behind more than one budget of it per hop.
 * Each lane is a FIFO, so each connection's frames of one lane leave in the order they were
 * produced (sequence order); a private frame may overtake market data queued before it, which
 * the contract allows (each channel carries its own sequence).
 *
 * A time budget rather than a count: what one send costs varies tenfold (frame size, whether
 * the socket takes it at once, how busy the machine is), so a fixed count either holds the loop
 * for milliseconds when sends are dear or wastes turns when they are cheap. The sockets' writes
 * leave when the turn's write batch is released, after the last send, so the clock read between
 * sends does not see them; the turn therefore also keeps an estimate of a send's whole cost
 * (release included) and sends no more than the budget pays for at that cost.
 *
 * Answers to requests do not queue here.
 */
import { performance } from 'node:perf_hooks';
import type { WriteBatch } from './write-batch.js';

interface Job {
  readonly targets: readonly unknown[];
  readonly send: (target: unknown) => void;
}

export type Schedule = (turn: () => void) => void;

export interface DeliveryLimits {
  /** Time one turn may spend sending market data, in microseconds; every turn with some queued makes at least one such send. */
  budgetMicros: number;
  /** Most market-data sends in one turn whatever the time: a cap for when sends are very cheap. */
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
/**
 * Most sends in one write batch: the clock sees the cost of releasing the writes after each batch.
 * Releasing is one system call per socket whatever the batch size, so small batches cost only
 * clock reads; at 32 a loopback send of 20-30 µs let a 250 µs turn overrun to about a millisecond.
 */
const CHUNK_SENDS = 8;
/** The longest a turn may spend on private streams, in budgets (a backlog of heartbeats to many connections). */
export const MAX_BUDGETS = 32;

/** One FIFO of jobs, sent a target at a time. */
class Lane {
  readonly jobs: Job[] = [];
  /** Next target of the head job. */
  cursor = 0;
  pending = 0;

  push(job: Job): void {
    this.jobs.push(job);
    this.pending += job.targets.length;
  }

  /** Sends to the next target; the head job's cursor always names the next one, so stopping anywhere keeps each target's frames in order. */
  sendNext(): void {
    const job = this.jobs[0]!;
    const target = job.targets[this.cursor++];
    this.pending--;
    if (this.cursor === job.targets.length) {
      this.jobs.shift();
      this.cursor = 0;
    }
    job.send(target);
  }

  clear(): void {
    this.jobs.length = 0;
    this.cursor = 0;
    this.pending = 0;
  }
}

export class DeliveryQueue {
  readonly #private = new Lane();
  readonly #public = new Lane();
  #scheduled = false;
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

  /** Queues market data: `send(target)` for every target, after the market data queued before. */
  push<T>(targets: readonly T[], send: (target: T) => void): void {
    if (targets.length === 0) return;
    this.#public.push({ targets, send: send as (target: unknown) => void });
    this.#scheduleTurn();
  }

  /** Queues private-stream frames: sent ahead of market data, after the private frames queued before. */
  pushPrivate<T>(targets: readonly T[], send: (target: T) => void): void {
    if (targets.length === 0) return;
    this.#private.push({ targets, send: send as (target: unknown) => void });
    this.#scheduleTurn();
  }

  /** Sends queued but not yet made, both lanes. */
  get pendingSends(): number {
    return this.#private.pending + this.#public.pending;
  }

  /** Market-data sends queued but not yet made. */
  get pendingPublicSends(): number {
    return this.#public.pending;
  }

  /** Drops everything queued (the gateway is closing). */
  clear(): void {
    this.#private.clear();
    this.#public.clear();
  }

  #scheduleTurn(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.#turn());
  }

  #turn(): void {
    this.#scheduled = false;
    const start = this.#now();
    let sent = 0;
    try {
      // Private streams first, in full unless a backlog outlasts MAX_BUDGETS budgets.
      const privateDeadline = start + this.#budgetMs * MAX_BUDGETS;
      while (this.#private.pending > 0 && this.#now() < privateDeadline) sent += this.#chunk(this.#private, privateDeadline - this.#now());
      // Market data: what is left of one budget, at least one send.
      const deadline = start + this.#budgetMs;
      let publicSent = 0;
      do {
        if (this.#public.pending === 0) break;
        const n = this.#chunk(this.#public, deadline - this.#now(), this.#maxSends - publicSent);
        publicSent += n;
        sent += n;
      } while (publicSent < this.#maxSends && this.#now() < deadline);
    } finally {
      // Even if a send threw, what is still queued gets its turn.
      if (this.pendingSends > 0) this.#scheduleTurn();
    }
  }

  /**
   * Sends a chunk of the lane inside one write batch and returns how many. The sockets' writes
   * leave when the batch is released, after the last send, where a clock read between sends
   * cannot see them; so a chunk is sized to what the time left pays for at the estimated cost of
   * a send (release included), at most CHUNK_SENDS, and the cost is re-estimated from the clock
   * once the batch is released. A turn thus overruns its budget by at most one chunk's error.
   */
  #chunk(lane: Lane, leftMs: number, maxSends = Infinity): number {
    const affordable = this.#sendCostMs > 0 ? Math.floor(leftMs / this.#sendCostMs) : 1;
    const size = Math.max(1, Math.min(CHUNK_SENDS, maxSends, affordable, lane.pending));
    const start = this.#now();
    let sent = 0;
    try {
      this.writes.run(() => {
        while (sent < size) {
          sent++;
          lane.sendNext();
        }
      });
    } finally {
      const cost = (this.#now() - start) / sent;
      this.#sendCostMs = this.#sendCostMs === 0 ? cost : this.#sendCostMs + COST_WEIGHT * (cost - this.#sendCostMs);
    }
    return sent;
  }
}
