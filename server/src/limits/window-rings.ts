/**
 * Rolling windows in this process's memory, each a fixed ring of bucket counts changed in place.
 * An order's decision (every order on every channel) then spends from its account's windows
 * without allocating: `spendAllInPlace`. Every other step (a refusal, a refund, a read, a spend
 * whose answer is kept) goes the general way of limit-store.ts, over the same rings read out as
 * WindowStates (fresh arrays, never shared), so it computes exactly what rolling-window.ts does.
 *
 * A stored window never spans more than `buckets` buckets: every step advances it to its current
 * bucket first, which drops all buckets that far behind. So bucket b has slot b mod `buckets`.
 */
import { ROLLING_WINDOWS, StoredRollingWindows, type LimitStateStore, type Step } from './limit-store.js';
import { MemoryLimitStore, type MemoryLimitStoreOptions } from './memory-limit-store.js';
import { leavesAt, type SpentBucket, type WindowShape, type WindowState } from './rolling-window.js';

/**
 * One window: the buckets from `oldest` to `newest` it holds, bucket b in slot b mod `buckets`
 * as its units + 1 (0: the window holds no such bucket; a store-level spend of 0 units holds one).
 */
export class WindowRing {
  readonly slots: Float64Array;
  /** Buckets held (0: empty; `oldest` and `newest` mean nothing then). */
  length = 0;
  /** Units held. */
  total = 0;
  oldest = 0;
  newest = 0;

  constructor(buckets: number) {
    this.slots = new Float64Array(buckets);
  }

  /** The window's state: a fresh array, oldest bucket first. */
  read(): WindowState {
    const state: SpentBucket[] = [];
    if (this.length === 0) return state;
    for (let bucket = this.oldest; bucket <= this.newest; bucket++) {
      const slot = this.slots[this.#slot(bucket)]!;
      if (slot > 0) state.push({ bucket, units: slot - 1 });
    }
    return state;
  }

  /** Holds `state` from now on (it spans fewer than `buckets` buckets: see above). */
  write(state: WindowState): void {
    const n = this.slots.length;
    this.slots.fill(0);
    this.length = 0;
    this.total = 0;
    if (state.length === 0) return;
    this.oldest = state[0]!.bucket;
    this.newest = state.at(-1)!.bucket;
    if (this.newest - this.oldest >= n) throw new RangeError(`a window of ${n} buckets cannot hold buckets ${this.oldest} to ${this.newest}`);
    for (const { bucket, units } of state) {
      this.slots[this.#slot(bucket)] = units + 1;
      this.total += units;
    }
    this.length = state.length;
  }

  /** The bucket the window is in at `now` (as rolling-window.ts's currentBucket). */
  currentBucket(bucketMs: number, now: number): number {
    const bucket = Math.floor(now / bucketMs);
    return this.length > 0 && this.newest > bucket ? this.newest : bucket;
  }

  /** Units the window would hold once advanced to bucket `current`, changing nothing. */
  heldAt(current: number): number {
    if (this.length === 0) return 0;
    const oldestKept = current - this.slots.length + 1;
    if (this.oldest >= oldestKept) return this.total;
    if (this.newest < oldestKept) return 0;
    let held = this.total;
    for (let bucket = this.oldest; bucket < oldestKept; bucket++) held -= unitsIn(this.slots[this.#slot(bucket)]!);
    return held;
  }

  /** Advances to bucket `current` (not before `newest`), then adds `units` to it (they fit: see `heldAt`). */
  spendAt(current: number, units: number): void {
    const oldestKept = current - this.slots.length + 1;
    if (this.length > 0 && this.newest >= oldestKept) {
      // Drop the buckets that left the window; the newest is still in it.
      for (; this.oldest < oldestKept; this.oldest++) {
        const i = this.#slot(this.oldest);
        if (this.slots[i]! > 0) {
          this.total -= this.slots[i]! - 1;
          this.length--;
          this.slots[i] = 0;
        }
      }
      while (this.slots[this.#slot(this.oldest)] === 0) this.oldest++;
    } else {
      this.slots.fill(0);
      this.length = 0;
      this.total = 0;
      this.oldest = current;
    }
    const i = this.#slot(current);
    if (this.slots[i] === 0) {
      this.slots[i] = 1;
      this.length++;
    }
    this.slots[i]! += units;
    this.total += units;
    this.newest = current;
  }

  #slot(bucket: number): number {
    const n = this.slots.length;
    return ((bucket % n) + n) % n;
  }
}

const unitsIn = (slot: number): number => (slot > 0 ? slot - 1 : 0);

/** Window rings forgotten once empty, as MemoryLimitStore forgets any idle state. */
const RINGS = {
  isIdle: (ring: WindowRing) => ring.length === 0,
  idleAt: (ring: WindowRing, shape: WindowShape) => (ring.length === 0 ? Number.NEGATIVE_INFINITY : leavesAt(ring.newest, shape)),
};

/** The window states of a MemoryLimitStore of rings, for the general steps; plus the in-place spend. */
export class WindowRingStates implements LimitStateStore<WindowState, WindowShape> {
  readonly #rings: MemoryLimitStore<WindowRing, WindowShape>;

  constructor(options: MemoryLimitStoreOptions = {}) {
    this.#rings = new MemoryLimitStore(RINGS, options);
  }

  get size(): number {
    return this.#rings.size;
  }

  get(key: string): WindowState | undefined {
    return this.#rings.get(key)?.read();
  }

  update<Result>(key: string, shape: WindowShape, now: number, step: (stored: WindowState | undefined) => Step<Result, WindowState>): Result {
    return this.#rings.update(key, shape, now, (ring) => {
      const { result, next } = step(ring?.read());
      return next === undefined ? { result } : { result, next: ringHolding(ring, shape, next) };
    });
  }

  updateAll<Result>(entries: readonly { key: string; shape: WindowShape }[], now: number, step: (stored: readonly (WindowState | undefined)[]) => Step<Result, readonly WindowState[]>): Result {
    return this.#rings.updateAll(entries, now, (rings) => {
      const { result, next } = step(rings.map((ring) => ring?.read()));
      // A key checked twice has one ring: written twice, the later state stays, as in any store.
      return next === undefined ? { result } : { result, next: next.map((state, i) => ringHolding(rings[i], entries[i]!.shape, state)) };
    });
  }

  /**
   * Spends `units` in each window of `keys` (distinct keys, each with its shape) if they all fit,
   * and answers true; otherwise changes nothing and answers false. The same step as the general
   * spend of several windows, without working out or allocating its answer.
   */
  spendAllInPlace(keys: readonly string[], shapes: readonly WindowShape[], units: number, now: number): boolean {
    for (let i = 0; i < keys.length; i++) {
      const ring = this.#rings.get(keys[i]!);
      if (ring === undefined) {
        if (units > shapes[i]!.quota) return false;
      } else if (ring.slots.length !== shapes[i]!.buckets || ring.heldAt(ring.currentBucket(shapes[i]!.bucketMs, now)) + units > shapes[i]!.quota) {
        return false;
      }
    }
    this.#rings.sweep(now);
    for (let i = 0; i < keys.length; i++) {
      const shape = shapes[i]!;
      const ring = this.#rings.get(keys[i]!) ?? new WindowRing(shape.buckets);
      ring.spendAt(ring.currentBucket(shape.bucketMs, now), units);
      this.#rings.put(keys[i]!, shape, ring);
    }
    return true;
  }
}

/** `ring` (or a new one, if there is none or it has another number of buckets) holding `state`. */
function ringHolding(ring: WindowRing | undefined, shape: WindowShape, state: WindowState): WindowRing {
  const holder = ring !== undefined && ring.slots.length === shape.buckets ? ring : new WindowRing(shape.buckets);
  holder.write(state);
  return holder;
}

export type MemoryWindowStoreOptions = MemoryLimitStoreOptions;

/**
 * Windows in this process's memory: the default for a single gateway process. A window is
 * forgotten once its last spend has left, by a sweep that looks at a few windows at each write
 * (see MemoryLimitStore), so memory stays bounded by the accounts active lately. Each window is a
 * fixed ring of bucket counts (above), so an order's decision can spend in place.
 */
export class MemoryRollingWindowStore extends StoredRollingWindows {
  readonly #rings: WindowRingStates;

  constructor(options: MemoryWindowStoreOptions = {}) {
    const rings = new WindowRingStates(options);
    super(ROLLING_WINDOWS, rings);
    this.#rings = rings;
  }

  /** See RollingWindowStore.consumeAllInPlace: the windows are rings of counts, changed in place. */
  consumeAllInPlace(keys: readonly string[], shapes: readonly WindowShape[], units: number, now: number): boolean {
    return this.#rings.spendAllInPlace(keys, shapes, units, now);
  }
}
