/**
 * Recently finished orders, kept for lookups by id: at most `keep` of them, the oldest evicted
 * first. The ids in finishing order are a ring (oldest at `head` once full), the orders are in an
 * order table by id, so neither keeping nor evicting one hashes or iterates.
 */
import type { Order } from './model.js';
import { OrderTable } from './order-table.js';

export class FinishedOrders {
  private readonly byId = new OrderTable();
  private readonly ring: Order[] = [];
  private head = 0;
  /** Whether the ring has been overwritten all the way round (every slot below `keep` replaced). */
  private wrapped = false;
  private keep = 0;

  get size(): number {
    return this.ring.length;
  }

  get(id: number): Order | undefined {
    return this.byId.get(id);
  }

  /** Keeps a finished order, evicting the oldest once `keep` are kept (none kept if keep <= 0). */
  add(o: Order, keep: number): void {
    if (keep <= 0) return;
    const ring = this.ring;
    if (ring.length < keep) {
      ring.push(o);
    } else {
      this.byId.delete((ring[this.head] as Order).id);
      ring[this.head] = o;
      this.head = (this.head + 1) % keep;
      if (this.head === 0) this.wrapped = true;
      this.keep = keep;
    }
    this.byId.set(o);
  }

  /** Puts back an order of a snapshot (given oldest first), without eviction, as it was kept. */
  restore(o: Order): void {
    this.ring.push(o);
    this.byId.set(o);
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
