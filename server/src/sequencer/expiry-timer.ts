/**
 * GTD expiry in the running service. The core only expires orders when it is told time has
 * passed (`ExpireOrders`); this timer tells it. It is armed for the earliest `expireAt` of a
 * live order and, when the clock reaches it, submits `ExpireOrders` through the bus like any
 * other command, so the expiry is journaled, replayed identically and reported on every channel.
 * Started on a recovered core it fires at once for orders that came due while the service was
 * down (catch-up).
 */
import type { Logger } from 'pino';
import type { CoreEvent, Millis } from '../core/api.js';
import type { CommandBus } from './api.js';
import type { Clock } from './clock.js';

/** Where the timer gets its wake-ups; tests inject a manual one that moves with their clock. */
export interface Timers {
  /** Calls `callback` once after `delayMs`; the returned function cancels it. */
  set(callback: () => void, delayMs: number): () => void;
}

export const systemTimers: Timers = {
  set(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    // Never keeps the process alive on its own.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** setTimeout's longest delay is about 24.8 days; a later expiry re-arms after this long. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class ExpiryTimer {
  #cancel: (() => void) | undefined;
  /** The expireAt the timer is armed for. */
  #armedFor: Millis | undefined;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;

  constructor(
    private readonly bus: Pick<CommandBus, 'submit' | 'onEvents' | 'core'>,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly logger: Logger,
  ) {}

  /** Arms for what the core holds now (due orders fire at once), then follows new GTD orders. */
  start(): void {
    if (this.bus.core.nextExpiry === undefined) return;
    this.#unsubscribe = this.bus.onEvents((events) => this.#observe(events));
    this.#arm(this.bus.core.nextExpiry());
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#disarm();
  }

  /** The expireAt the timer waits for, if any (for tests and status). */
  get armedFor(): Millis | undefined {
    return this.#armedFor;
  }

  #observe(events: readonly CoreEvent[]): void {
    for (const e of events) {
      if (e.type !== 'OrderAccepted' || e.order.expireAt === undefined) continue;
      if (this.#armedFor === undefined || e.order.expireAt < this.#armedFor) this.#arm(e.order.expireAt);
    }
  }

  #arm(at: Millis | undefined): void {
    this.#disarm();
    if (at === undefined || this.#stopped) return;
    this.#armedFor = at;
    const delay = Math.min(Math.max(0, at - this.clock.now()), MAX_DELAY_MS);
    this.#cancel = this.timers.set(() => this.#fire(), delay);
  }

  #disarm(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    this.#armedFor = undefined;
  }

  #fire(): void {
    this.#cancel = undefined;
    this.#armedFor = undefined;
    if (this.#stopped) return;
    let due: Millis | undefined;
    try {
      due = this.bus.core.nextExpiry?.();
    } catch (error) {
      // Queries fail once durability is lost; nothing more can be submitted either.
      this.logger.error({ err: error }, 'GTD expiry: the core cannot be read; expiry resumes after a restart');
      return;
    }
    if (due === undefined) return;
    // Woken early (a long delay was capped, or the clock was adjusted): wait again.
    if (due > this.clock.now()) return this.#arm(due);
    this.bus.submit({ type: 'ExpireOrders' }).then(
      () => {
        try {
          this.#arm(this.bus.core.nextExpiry?.());
        } catch (error) {
          this.logger.error({ err: error }, 'GTD expiry: the core cannot be read; expiry resumes after a restart');
        }
      },
      (error: unknown) => {
        // The bus refuses commands only once durability is lost; a restart catches up.
        this.logger.error({ err: error }, 'GTD expiry: ExpireOrders was not accepted; expiry resumes after a restart');
      },
    );
  }
}
