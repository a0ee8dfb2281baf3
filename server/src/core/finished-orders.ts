/**
 * Recently finished orders, kept for lookups by id: at most `keep` of them, the oldest evicted
 * first. The orders in finishing order are a ring (oldest at `head` once full), with their ids in
 * a parallel ring, so evicting one reads no order; they are found by id through a small hash index
 * (id-index.ts). Most finished orders were placed long before (a cancel), so an index by id over
 * every id ever issued would put each one in a slot of its own, far from the others: this index
 * only spans the kept orders and stays in cache.
 */
import type { Order } from './model.js';
import { IdIndex } from './id-index.js';

export class FinishedOrders {
  private readonly ring: Order[] = [];
  /** ring[i].id, read when ring[i] is evicted. */
  private readonly ringIds: number[] = [];
  /** Ring position by order id. */
  private readonly byId = new IdIndex(this.ringIds);
  private head = 0;
  /** Whether the ring has been overwritten all the way round (every slot below `keep` replaced). */
  private wrapped = false;
  private keep = 0;

  get size(): number {
    return this.ring.length;
  }

  get(id: number): Order | undefined {
    const at = this.byId.get(id);
    return at < 0 ? undefined : this.ring[at];
  }

  /** Keeps a finished order, evicting the oldest once `keep` are kept (none kept if keep <= 0). */
  add(o: Order, keep: number): void {
    if (keep <= 0) return;
    const ring = this.ring;
    if (ring.length < keep) {
      this.push(o);
      return;
    }
    const at = this.head;
    this.byId.delete(this.ringIds[at] as number, at);
    ring[at] = o;
    this.ringIds[at] = o.id;
    this.byId.set(o.id, at);
    this.head = (at + 1) % keep;
    if (this.head === 0) this.wrapped = true;
    this.keep = keep;
  }

  /** Puts back an order of a snapshot (given oldest first), without eviction, as it was kept. */
  restore(o: Order): void {
    this.push(o);
  }

  private push(o: Order): void {
    this.byId.set(o.id, this.ring.length);
    this.ring.push(o);
    this.ringIds.push(o.id);
  }

  /**
   * The kept orders, oldest first. A snapshot may hold more than `keep` (restored under a larger
   * retention): the slots beyond `keep` are never overwritten, so once the ring below `keep` has
   * wrapped they are the oldest.
   */
  *values(): IterableIterator<Order> {
    const ring = this.ring;
    const n = ring.length;
    if (this.wrapped && n > this.keep) {
      for (let i = this.keep; i < n; i++) yield ring[i] as Order;
      for (let i = this.head; i < this.keep; i++) yield ring[i] as Order;
    } else {
      for (let i = this.head; i < n; i++) yield ring[i] as Order;
    }
    for (let i = 0; i < this.head; i++) yield ring[i] as Order;
  }
}
