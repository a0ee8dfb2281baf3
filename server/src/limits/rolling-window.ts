/**
 * Rolling-window arithmetic, exact in integers. Time is cut into buckets of `bucketMs` (bucket n
 * spans [n × bucketMs, (n + 1) × bucketMs)); a window is the current bucket and the
 * `buckets − 1` before it, and holds at most `quota` units. A unit spent in bucket b counts until
 * bucket b + buckets starts: between `window − bucketMs` and `window` after it was spent.
 *
 * A window's state is the units spent per bucket that is still in it. Stores apply these
 * functions atomically, one window at a time (see limit-store.ts); a store written in another
 * language (a Redis script, SQL) must compute exactly the same.
 */

/** A window's size and granularity. */
export interface WindowShape {
  /** Most units spent in any window. */
  quota: number;
  /** Length of one bucket, in ms. */
  bucketMs: number;
  /** Buckets per window: the window is `buckets × bucketMs` long. */
  buckets: number;
}

/** Units spent in one bucket. */
export interface SpentBucket {
  bucket: number;
  units: number;
}

/**
 * The buckets of a window that hold spent units, oldest first (strictly increasing `bucket`,
 * `units` ≥ 1). An absent window is empty.
 */
export type WindowState = readonly SpentBucket[];

export interface WindowConsume {
  /** Whether all the units fitted; a refused request leaves the window as it was. */
  fits: boolean;
  /** The window after the request, advanced to its time. */
  state: WindowState;
}

/** Throws unless the shape counts exactly (positive whole numbers, times within the safe-integer range). */
export function checkWindowShape(shape: WindowShape, name: string): void {
  const { quota, bucketMs, buckets } = shape;
  if (!Number.isSafeInteger(quota) || quota < 1) throw new RangeError(`${name}: quota must be a positive integer`);
  if (!Number.isSafeInteger(bucketMs) || bucketMs < 1) throw new RangeError(`${name}: bucket must be a positive whole number of ms`);
  if (!Number.isSafeInteger(buckets) || buckets < 1) throw new RangeError(`${name}: window must be a whole number of buckets`);
}

/**
 * The bucket the window is in at `now`. A clock behind the newest spent bucket counts from that
 * bucket: it frees nothing early and cannot overdraw (several processes may share one store).
 */
export function currentBucket(state: WindowState, shape: WindowShape, now: number): number {
  const bucket = Math.floor(now / shape.bucketMs);
  const newest = state.at(-1)?.bucket;
  return newest !== undefined && newest > bucket ? newest : bucket;
}

/** The window at `now`: the buckets that have left it are dropped. */
export function advance(state: WindowState | undefined, shape: WindowShape, now: number): WindowState {
  if (state === undefined || state.length === 0) return [];
  const oldestKept = currentBucket(state, shape, now) - shape.buckets + 1;
  let i = 0;
  while (i < state.length && state[i]!.bucket < oldestKept) i++;
  return i === 0 ? state : state.slice(i);
}

/** Units the window holds. */
export function spentUnits(state: WindowState): number {
  let total = 0;
  for (const s of state) total += s.units;
  return total;
}

/** Advances to `now`, then spends `units` in the current bucket if they all fit. */
export function consume(state: WindowState | undefined, units: number, shape: WindowShape, now: number): WindowConsume {
  const current = advance(state, shape, now);
  if (spentUnits(current) + units > shape.quota) return { fits: false, state: current };
  const bucket = currentBucket(current, shape, now);
  const newest = current.at(-1);
  let spent: SpentBucket[];
  if (newest?.bucket === bucket) {
    spent = current.slice(0, -1);
    spent.push({ bucket, units: newest.units + units });
  } else {
    spent = current.slice();
    spent.push({ bucket, units });
  }
  return { fits: true, state: spent };
}

/**
 * Advances to `now`, then gives back up to `units`, newest first: the units a request just spent
 * are the newest. Never gives back more than the window holds.
 */
export function refund(state: WindowState | undefined, units: number, shape: WindowShape, now: number): WindowState {
  const current = advance(state, shape, now);
  const kept = [...current];
  let left = units;
  while (left > 0 && kept.length > 0) {
    const newest = kept.pop()!;
    const taken = Math.min(left, newest.units);
    left -= taken;
    if (newest.units > taken) kept.push({ bucket: newest.bucket, units: newest.units - taken });
  }
  return kept;
}

/** When bucket `bucket` leaves the window, in ms. */
export const leavesAt = (bucket: number, shape: WindowShape): number => (bucket + shape.buckets) * shape.bucketMs;

/** When the window holds nothing any more if nothing more is spent: from then on it may be forgotten. */
export function emptyAt(state: WindowState, shape: WindowShape): number {
  const newest = state.at(-1);
  return newest === undefined ? Number.NEGATIVE_INFINITY : leavesAt(newest.bucket, shape);
}

/**
 * Ms after `now` until `units` fit in the window (already advanced to `now`): buckets leave
 * oldest first. 0 when nothing is spent. Units that no window could hold wait until the current
 * bucket has left.
 */
export function msUntilRoom(state: WindowState, units: number, shape: WindowShape, now: number): number {
  let total = spentUnits(state);
  if (total === 0) return 0;
  for (const { bucket, units: spent } of state) {
    total -= spent;
    if (total + units <= shape.quota) return Math.max(0, leavesAt(bucket, shape) - now);
  }
  return Math.max(0, leavesAt(currentBucket(state, shape, now), shape) - now);
}
