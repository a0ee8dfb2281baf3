/**
 * The gateway's outbound stream and market data, sent in bounded chunks across turns of the
 * event loop. A batch of events can owe a frame to ten thousand subscribers; sending them all
 * in one go would hold the loop (and every order acknowledgement and journal write behind it)
 * for the whole broadcast. Instead each frame is queued with the subscribers it is owed to
 * (fixed when it is queued), and at most `sendsPerTurn` sends happen per turn.
 *
 * One FIFO for everything the gateway streams keeps each connection's frames in the order
 * they were produced, which is sequence order. Answers to requests do not queue here.
 */
import type { WriteBatch } from './write-batch.js';

interface Job {
  readonly targets: readonly unknown[];
  readonly send: (target: unknown) => void;
}

export type Schedule = (turn: () => void) => void;

export class DeliveryQueue {
  readonly #jobs: Job[] = [];
  /** Next target of the head job. */
  #cursor = 0;
  #pendingSends = 0;
  #scheduled = false;

  constructor(
    private readonly writes: WriteBatch,
    private readonly sendsPerTurn: number,
    /** How the next chunk is scheduled (default: setImmediate, after I/O; tests step turns by hand). */
    private readonly schedule: Schedule = (turn) => void setImmediate(turn),
  ) {}

  /** Queues `send(target)` for every target, after everything queued before. */
  push<T>(targets: readonly T[], send: (target: T) => void): void {
    if (targets.length === 0) return;
    this.#jobs.push({ targets, send: send as (target: unknown) => void });
    this.#pendingSends += targets.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.schedule(() => this.#turn());
    }
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

  #turn(): void {
    this.#scheduled = false;
    let budget = this.sendsPerTurn;
    this.writes.run(() => {
      while (budget > 0 && this.#jobs.length > 0) {
        const job = this.#jobs[0]!;
        const end = Math.min(job.targets.length, this.#cursor + budget);
        for (let i = this.#cursor; i < end; i++) job.send(job.targets[i]);
        budget -= end - this.#cursor;
        this.#pendingSends -= end - this.#cursor;
        if (end === job.targets.length) {
          this.#jobs.shift();
          this.#cursor = 0;
        } else this.#cursor = end;
      }
    });
    if (this.#jobs.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      this.schedule(() => this.#turn());
    }
  }
}
