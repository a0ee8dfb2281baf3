/**
 * Positions in an array of order ids (`ids`, owned by the caller) by id: an open-addressing hash
 * table in one Int32Array, each entry the id's low 32 bits beside its position (8 bytes), at most
 * five eighths full. Small enough to stay in cache where a table indexed by id, spanning every id
 * ever issued, puts each entry in a cache line of its own. An entry's full id is `ids[position]`,
 * read only to tell apart two ids with the same low bits; the caller keeps `ids[position]` equal
 * to the id it set there for as long as the entry is present.
 */
const FREE = -1;
const MIN_CAPACITY = 64;
const TWO_32 = 4_294_967_296;

/** The id's low 32 bits as a signed integer (what an Int32Array holds). */
const low = (id: number): number => (id % TWO_32) | 0;

export class IdIndex {
  /** [low bits, position] per entry; position FREE for a free entry. Capacity is a power of two. */
  private table = IdIndex.empty(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  /** 32 - log2(capacity): the multiplicative hash keeps the top bits. */
  private shift = 32 - Math.log2(MIN_CAPACITY);
  size = 0;

  constructor(private readonly ids: ArrayLike<number>) {}

  private static empty(capacity: number): Int32Array {
    return new Int32Array(2 * capacity).fill(FREE);
  }

  /** Home entry of an id's low bits (Fibonacci hashing, so runs of ids spread out). */
  private home(lowBits: number): number {
    return Math.imul(lowBits, 0x9e3779b1) >>> this.shift;
  }

  /** The id's position, or -1 if absent (or the id is not a non-negative safe integer). */
  get(id: number): number {
    if (!Number.isSafeInteger(id) || id < 0) return -1;
    const t = this.table;
    const lowBits = low(id);
    for (let i = this.home(lowBits); ; i = (i + 1) & this.mask) {
      const at = t[2 * i + 1] as number;
      if (at === FREE) return -1;
      if (t[2 * i] === lowBits && this.ids[at] === id) return at;
    }
  }

  /** Sets the id's position (adding the id, or moving it). */
  set(id: number, position: number): void {
    if (8 * (this.size + 1) > 5 * (this.mask + 1)) this.grow();
    const t = this.table;
    const lowBits = low(id);
    for (let i = this.home(lowBits); ; i = (i + 1) & this.mask) {
      const at = t[2 * i + 1] as number;
      if (at === FREE) {
        t[2 * i] = lowBits;
        this.size++;
      } else if (t[2 * i] !== lowBits || this.ids[at] !== id) continue;
      t[2 * i + 1] = position;
      return;
    }
  }

  /**
   * Removes the id's entry if it is at `position` (the caller knows it: no id is read), shifting
   * back the entries after it so that no probe run breaks.
   */
  delete(id: number, position: number): void {
    const t = this.table;
    const mask = this.mask;
    const lowBits = low(id);
    let i = this.home(lowBits);
    for (; ; i = (i + 1) & mask) {
      const at = t[2 * i + 1] as number;
      if (at === FREE) return;
      if (at === position && t[2 * i] === lowBits) break;
    }
    // Backward-shift deletion: move into the hole every later entry of the run whose home is not
    // cyclically in (hole, j], then free the last hole.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const at = t[2 * j + 1] as number;
      if (at === FREE) break;
      const h = this.home(t[2 * j] as number);
      const stays = hole <= j ? hole < h && h <= j : hole < h || h <= j;
      if (stays) continue;
      t[2 * hole] = t[2 * j] as number;
      t[2 * hole + 1] = at;
      hole = j;
    }
    t[2 * hole + 1] = FREE;
    this.size--;
  }

  private grow(): void {
    const old = this.table;
    const capacity = 2 * (this.mask + 1);
    const t = IdIndex.empty(capacity);
    this.table = t;
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    // Every entry is distinct: each goes to the first free entry of its run.
    for (let k = 0; k < old.length; k += 2) {
      const at = old[k + 1] as number;
      if (at === FREE) continue;
      let i = this.home(old[k] as number);
      while (t[2 * i + 1] !== FREE) i = (i + 1) & this.mask;
      t[2 * i] = old[k] as number;
      t[2 * i + 1] = at;
    }
  }
}
