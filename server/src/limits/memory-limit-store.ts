/**
 * Limit states in this process's memory: the default for a single gateway process. A step is one
 * synchronous read-modify-write, so it is atomic. A state that is the same as an absent one is
 * not kept, and one that has become so since its last step is forgotten by a sweep that each
 * write moves on by a few entries, so memory stays bounded however many keys pass by.
 */
import { StoredTokenBuckets, TOKEN_BUCKETS, type Forgetting, type LimitStateStore, type Step } from './limit-store.js';

export interface MemoryLimitStoreOptions {
  /** Entries each write looks at to forget those that have become idle (at least 2; default 16). */
  sweepBatch?: number;
}

interface Entry<State> {
  key: string;
  state: State;
  idleAt: number;
  /** Its index in the sweep's list. */
  slot: number;
}

export class MemoryLimitStore<State, Shape> implements LimitStateStore<State, Shape> {
  readonly #kind: Forgetting<State, Shape>;
  readonly #entries = new Map<string, Entry<State>>();
  /**
   * The entries in the order they were added, for the sweep (a hole where one was forgotten
   * since the pass began): walked by index, so a sweep allocates nothing, unlike a Map iterator.
   */
  readonly #sweepList: (Entry<State> | undefined)[] = [];
  readonly #sweepBatch: number;
  /** Where the sweep stopped in `#sweepList`. */
  #sweepCursor = 0;

  constructor(kind: Forgetting<State, Shape>, options: MemoryLimitStoreOptions = {}) {
    const sweepBatch = options.sweepBatch ?? 16;
    // A write may add an entry, so a pass only ends if each write looks at more than one.
    if (!Number.isSafeInteger(sweepBatch) || sweepBatch < 2) throw new RangeError(`sweepBatch must be an integer ≥ 2, got ${sweepBatch}`);
    this.#kind = kind;
    this.#sweepBatch = sweepBatch;
  }

  /** States held (those not yet known to be idle). */
  get size(): number {
    return this.#entries.size;
  }

  update<Result>(key: string, shape: Shape, now: number, step: (stored: State | undefined) => Step<Result, State>): Result {
    this.sweep(now);
    const { result, next } = step(this.get(key));
    if (next !== undefined) this.put(key, shape, next);
    return result;
  }

  /** Atomic as `update` is: nothing else runs between the reads and the writes. */
  updateAll<Result>(entries: readonly { key: string; shape: Shape }[], now: number, step: (stored: readonly (State | undefined)[]) => Step<Result, readonly State[]>): Result {
    this.sweep(now);
    const { result, next } = step(entries.map(({ key }) => this.get(key)));
    next?.forEach((state, i) => this.put(entries[i]!.key, entries[i]!.shape, state));
    return result;
  }

  /** Stores `next` as the state of `key` (forgetting it if idle); for a step made outside `update` (in place). */
  put(key: string, shape: Shape, next: State): void {
    const entry = this.#entries.get(key);
    if (this.#kind.isIdle(next, shape)) {
      if (entry) this.#forget(entry);
      return;
    }
    if (entry) {
      entry.state = next;
      entry.idleAt = this.#kind.idleAt(next, shape);
    } else {
      const added: Entry<State> = { key, state: next, idleAt: this.#kind.idleAt(next, shape), slot: this.#sweepList.length };
      this.#entries.set(key, added);
      this.#sweepList.push(added);
    }
  }

  get(key: string): State | undefined {
    return this.#entries.get(key)?.state;
  }

  #forget(entry: Entry<State>): void {
    this.#entries.delete(entry.key);
    this.#sweepList[entry.slot] = undefined;
  }

  /**
   * Looks at the next `sweepBatch` (B) entries, forgetting the idle ones; when the list ends,
   * the next write starts another pass. The bound: no write looks at more than B entries, and a
   * write adds at most one, so a pass over n entries ends within about n / (B − 1) writes and
   * looks at every entry present throughout it. An entry idle when a pass starts is thus gone
   * when it ends: the Map holds only keys in use (not idle) at some time during the current or
   * the previous pass, however many keys have passed by before. Called by every write (`update`,
   * `updateAll`; an in-place step calls it first).
   */
  sweep(now: number): void {
    const list = this.#sweepList;
    let looked = 0;
    while (looked < this.#sweepBatch) {
      if (this.#sweepCursor >= list.length) {
        this.#closeHoles();
        return;
      }
      const entry = list[this.#sweepCursor++];
      if (entry === undefined) continue;
      looked++;
      if (entry.idleAt <= now) this.#forget(entry);
    }
  }

  /** At the end of a pass: the holes left by forgotten entries are closed, keeping the order. */
  #closeHoles(): void {
    const list = this.#sweepList;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      if (entry === undefined) continue;
      entry.slot = kept;
      list[kept++] = entry;
    }
    list.length = kept;
    this.#sweepCursor = 0;
  }
}

export type MemoryBucketStoreOptions = MemoryLimitStoreOptions;

/**
 * Buckets in this process's memory: the default for a single gateway process. A bucket is
 * forgotten once it has refilled, by a sweep that looks at a few buckets at each write (see
 * MemoryLimitStore), so memory stays bounded however many IP addresses pass by.
 */
export class MemoryTokenBucketStore extends StoredTokenBuckets {
  constructor(options: MemoryBucketStoreOptions = {}) {
    super(TOKEN_BUCKETS, new MemoryLimitStore(TOKEN_BUCKETS, options));
  }
}
