/**
 * Token-bucket arithmetic, exact in integers. A bucket holds at most `capacity` units and refills
 * continuously at `capacity` units per `periodMs`. A partial refill must be exact (no float drift
 * may ever let a client past its quota), so the level is counted in grains: one unit is
 * `periodMs` grains, and each elapsed millisecond adds exactly `capacity` grains.
 *
 * Stores apply these functions atomically, one bucket at a time (see limit-store.ts); a store
 * written in another language (a Redis script, SQL) must compute exactly the same.
 */

/** A bucket's size and speed. */
export interface BucketShape {
  /** Most units the bucket holds: the largest burst. */
  capacity: number;
  /** Ms to refill from empty to full. */
  periodMs: number;
}

/** A bucket's level at a moment. An absent bucket is full. */
export interface BucketState {
  /** Tokens held, in grains (one unit = `periodMs` grains). */
  grains: number;
  /** When `grains` was last brought up to date, in ms. */
  at: number;
}

export interface BucketTake {
  /** Whether all the units fitted; a refused take leaves the bucket as it was. */
  taken: boolean;
  /** The bucket after the take. */
  state: BucketState;
}

export const fullGrains = (shape: BucketShape): number => shape.capacity * shape.periodMs;

export const unitGrains = (units: number, shape: BucketShape): number => units * shape.periodMs;

/** Throws unless the shape's arithmetic stays exact (whole numbers within the safe-integer range). */
export function checkShape(shape: BucketShape, name: string): void {
  const { capacity, periodMs } = shape;
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`${name}: capacity must be a positive integer`);
  if (!Number.isSafeInteger(periodMs) || periodMs < 1) throw new RangeError(`${name}: refill period must be a positive whole number of ms`);
  if (!Number.isSafeInteger(2 * fullGrains(shape))) throw new RangeError(`${name}: capacity × period is too large to count exactly`);
}

/**
 * The bucket refilled up to `now`. A clock behind the stored time adds nothing and never moves
 * the bucket back in time (several processes may share one store).
 */
export function refill(state: BucketState | undefined, shape: BucketShape, now: number): BucketState {
  const full = fullGrains(shape);
  if (state === undefined) return { grains: full, at: now };
  const elapsed = Math.max(0, now - state.at);
  // One period refills an empty bucket; capping the elapsed time keeps the product exact.
  const added = Math.min(elapsed, shape.periodMs) * shape.capacity;
  const grains = Math.min(full, Math.max(0, state.grains) + added);
  return { grains, at: Math.max(state.at, now) };
}

/** Refills to `now`, then takes `units` if they all fit. */
export function take(state: BucketState | undefined, units: number, shape: BucketShape, now: number): BucketTake {
  const current = refill(state, shape, now);
  const cost = unitGrains(units, shape);
  if (current.grains < cost) return { taken: false, state: current };
  return { taken: true, state: { grains: current.grains - cost, at: current.at } };
}

/** Refills to `now`, then puts `units` back; the bucket never holds more than its capacity. */
export function giveBack(state: BucketState | undefined, units: number, shape: BucketShape, now: number): BucketState {
  const current = refill(state, shape, now);
  return { grains: Math.min(fullGrains(shape), current.grains + unitGrains(units, shape)), at: current.at };
}

/** Ms after `state.at` until the bucket holds `grains` (0 if it already does). */
export function msUntilGrains(state: BucketState, grains: number, shape: BucketShape): number {
  const missing = grains - state.grains;
  return missing <= 0 ? 0 : ceilDiv(missing, shape.capacity);
}

/** When the bucket will be full again if nothing more is taken: from then on it may be forgotten. */
export function fullAt(state: BucketState, shape: BucketShape): number {
  return state.at + msUntilGrains(state, fullGrains(shape), shape);
}

/** Whole units the bucket holds (a partly refilled unit does not count yet). */
export function wholeUnits(state: BucketState, shape: BucketShape): number {
  return floorDiv(Math.max(0, state.grains), shape.periodMs);
}

/**
 * Integer division of non-negative safe integers. A float quotient can round across a whole
 * number when the operands are large, so the estimate is corrected with exact products.
 */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  while (q * b > a) q--;
  while ((q + 1) * b <= a) q++;
  return q;
}

function ceilDiv(a: number, b: number): number {
  const q = floorDiv(a, b);
  return q * b === a ? q : q + 1;
}
