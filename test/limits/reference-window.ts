/**
 * An independent model of a rolling window, for property tests: a plain list of timed spends.
 * A unit spent at time t counts until the end of its bucket plus the window less one bucket (as
 * docs/rate-limits.md puts it). To find when a request fits, the model tries the moments at which
 * spends return, earliest first.
 */
import type { MeterReading, Consumption } from '../../server/src/limits/index.js';

export class ReferenceWindow {
  readonly #spends: { at: number; units: number }[] = [];

  constructor(
    readonly quota: number,
    readonly windowMs: number,
    readonly bucketMs: number,
  ) {}

  /** When a unit spent at `at` stops counting. */
  returnsAt(at: number): number {
    const endOfBucket = at - (at % this.bucketMs) + this.bucketMs;
    return endOfBucket + this.windowMs - this.bucketMs;
  }

  /** Units that count at `time` (of the spends made so far). */
  heldAt(time: number): number {
    return this.#spends.filter((s) => this.returnsAt(s.at) > time).reduce((sum, s) => sum + s.units, 0);
  }

  /** Spends `units` at `now` if they fit; reports as a meter does. */
  consume(units: number, now: number): Consumption {
    const held = this.heldAt(now);
    if (held + units > this.quota) return { fits: false, consumed: held, msBeforeNext: this.#msUntilFits(units, now) };
    this.#spends.push({ at: now, units });
    return { fits: true, ...this.peek(now) };
  }

  /** Gives back the `units` spent last. */
  refund(units: number): void {
    let left = units;
    while (left > 0 && this.#spends.length > 0) {
      const last = this.#spends.pop()!;
      const taken = Math.min(left, last.units);
      left -= taken;
      if (last.units > taken) this.#spends.push({ at: last.at, units: last.units - taken });
    }
  }

  /** Units held, and ms until the first of them returns (0 when none is held). */
  peek(now: number): MeterReading {
    const returns = this.#spends.map((s) => this.returnsAt(s.at)).filter((t) => t > now);
    return { consumed: this.heldAt(now), msBeforeNext: returns.length === 0 ? 0 : Math.min(...returns) - now };
  }

  #msUntilFits(units: number, now: number): number {
    const moments = this.#spends.map((s) => this.returnsAt(s.at)).filter((t) => t > now).sort((a, b) => a - b);
    const fits = moments.find((t) => this.heldAt(t) + units <= this.quota);
    if (fits === undefined) throw new Error(`the model cannot fit ${units} units in a quota of ${this.quota}`);
    return fits - now;
  }
}
