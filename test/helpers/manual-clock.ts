/**
 * A clock the test moves by hand, with timers that fire when it passes their time: lets
 * time-driven behaviour (GTD expiry) be tested without sleeping. `base` is the time at
 * construction; `now()` is base + the sum of advance() calls, plus the real elapsed time if
 * `followRealTime` is set (for services whose request signatures use the real clock).
 */
import type { Clock } from '../../server/src/sequencer/clock.js';
import type { Timers } from '../../server/src/sequencer/expiry-timer.js';

interface Pending { at: number; id: number; callback: () => void }

export class ManualClock implements Clock, Timers {
  #offset = 0;
  #nextId = 1;
  #pending: Pending[] = [];
  readonly #start = Date.now();

  constructor(private readonly base: number, private readonly followRealTime = false) {}

  now(): number {
    return this.base + this.#offset + (this.followRealTime ? Date.now() - this.#start : 0);
  }

  set(callback: () => void, delayMs: number): () => void {
    const entry = { at: this.now() + delayMs, id: this.#nextId++, callback };
    this.#pending.push(entry);
    // A zero delay fires on the next turn, as setTimeout(0) would (catch-up on start).
    if (delayMs <= 0) queueMicrotask(() => this.#fireDue());
    return () => {
      this.#pending = this.#pending.filter((p) => p !== entry);
    };
  }

  /** Timers armed and not yet fired. */
  get armed(): number {
    return this.#pending.length;
  }

  /** Moves time forward and fires every timer now due, earliest first. */
  advance(ms: number): void {
    this.#offset += ms;
    this.#fireDue();
  }

  #fireDue(): void {
    const now = this.now();
    const due = this.#pending.filter((p) => p.at <= now).sort((a, b) => a.at - b.at || a.id - b.id);
    this.#pending = this.#pending.filter((p) => p.at > now);
    for (const p of due) p.callback();
  }
}
