/** The last rejected commands, for the operator status page: a fixed-size ring, newest first. */
import type { OrderChannel } from './trading-metrics.js';

export interface RecentReject {
  at: number;
  channel: OrderChannel;
  command: string;
  code: string;
  accountId?: string;
}

export class RecentRejects {
  readonly #ring: RecentReject[] = [];

  constructor(readonly capacity = 50) {}

  add(reject: RecentReject): void {
    this.#ring.push(reject);
    if (this.#ring.length > this.capacity) this.#ring.shift();
  }

  /** Newest first. */
  list(): RecentReject[] {
    return [...this.#ring].reverse();
  }
}
