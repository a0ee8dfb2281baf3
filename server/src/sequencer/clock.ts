/** Where the sequencer gets the time it stamps on each command. The core never reads a clock. */
import type { Millis } from '../core/api.js';

export interface Clock {
  now(): Millis;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Timestamps that never go backwards, even if the wall clock does (NTP step, VM pause), so
 * time-based rules in the core (GTD expiry, candles) see time advance monotonically.
 */
export class CommandTimestamps {
  constructor(private readonly clock: Clock, private last: Millis = 0) {}

  next(): Millis {
    const now = this.clock.now();
    if (now > this.last) this.last = now;
    return this.last;
  }

  /** Continue after a timestamp seen during replay. */
  observe(ts: Millis): void {
    if (ts > this.last) this.last = ts;
  }
}
