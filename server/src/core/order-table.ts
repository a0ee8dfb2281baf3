/**
 * Orders by numeric id in a dense table. Ids are handed out in sequence, so a table indexed by
 * id needs no hashing: it is kept in chunks of CHUNK slots, and a chunk whose orders are all gone
 * is dropped, so the memory follows the orders still present, not every id ever issued.
 */
import type { Order } from './model.js';

const SHIFT = 12;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

export class OrderTable {
  private readonly chunks: ((Order | undefined)[] | undefined)[] = [];
  /** Orders present per chunk, to drop a chunk when it empties. */
  private readonly counts: number[] = [];
  size = 0;

  get(id: number): Order | undefined {
    if (!Number.isSafeInteger(id) || id < 0) return undefined;
    const chunk = this.chunks[Math.floor(id / CHUNK)];
    return chunk === undefined ? undefined : chunk[id & MASK];
  }

  /** Puts the order at its id (replacing any order there). */
  set(o: Order): void {
    const id = o.id;
    const c = Math.floor(id / CHUNK);
    while (this.chunks.length <= c) {
      this.chunks.push(undefined);
      this.counts.push(0);
    }
    let chunk = this.chunks[c];
    if (chunk === undefined) this.chunks[c] = chunk = new Array<Order | undefined>(CHUNK).fill(undefined);
    if (chunk[id & MASK] === undefined) {
      this.counts[c]!++;
      this.size++;
    }
    chunk[id & MASK] = o;
  }

  delete(id: number): void {
    const c = Math.floor(id / CHUNK);
    const chunk = this.chunks[c];
    if (chunk === undefined || chunk[id & MASK] === undefined) return;
    chunk[id & MASK] = undefined;
    this.size--;
    if (--this.counts[c]! === 0) this.chunks[c] = undefined;
  }
}
