/**
 * An account's live orders in ascending id order, as a list threaded through the orders
 * themselves (`liveOlder` / `liveNewer`): adding and removing allocate nothing and hash nothing.
 * Lookups by id go through the core's order table (state.ts), not this list.
 */
import type { Order } from './model.js';

export class LiveOrders {
  private head: Order | null = null;
  private tail: Order | null = null;
  size = 0;

  /** Adds a live order; new orders have the highest id so far and go straight to the tail. */
  add(o: Order): void {
    let older = this.tail;
    // Restores may add out of id order: walk back to keep the list ascending.
    while (older !== null && older.id > o.id) older = older.liveOlder;
    const newer = older === null ? this.head : older.liveNewer;
    o.liveOlder = older;
    o.liveNewer = newer;
    if (older === null) this.head = o;
    else older.liveNewer = o;
    if (newer === null) this.tail = o;
    else newer.liveOlder = o;
    this.size++;
  }

  /** Removes the order if it is in this list (an OTC quote's order, for one, never was). */
  delete(o: Order): void {
    const older = o.liveOlder;
    if (older === null && this.head !== o) return;
    const newer = o.liveNewer;
    if (older === null) this.head = newer;
    else older.liveNewer = newer;
    if (newer === null) this.tail = older;
    else newer.liveOlder = older;
    o.liveOlder = null;
    o.liveNewer = null;
    this.size--;
  }

  /** The orders, ascending id. Do not add or remove while iterating. */
  *values(): IterableIterator<Order> {
    for (let o = this.head; o !== null; o = o.liveNewer) yield o;
  }
}
