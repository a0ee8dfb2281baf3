/**
 * NewOrderSingles waiting for their first report, by account and ClOrdID. Two levels of maps
 * rather than one keyed by a joined string: an order's lookup builds and hashes no new string.
 */
export class PendingNewOrders<T> {
  readonly #byAccount = new Map<string, Map<string, T>>();

  get(accountId: string, clOrdId: string): T | undefined {
    return this.#byAccount.get(accountId)?.get(clOrdId);
  }

  set(accountId: string, clOrdId: string, pending: T): void {
    let orders = this.#byAccount.get(accountId);
    if (!orders) this.#byAccount.set(accountId, (orders = new Map()));
    orders.set(clOrdId, pending);
  }

  /** Removes and returns the entry. */
  take(accountId: string, clOrdId: string): T | undefined {
    const orders = this.#byAccount.get(accountId);
    const pending = orders?.get(clOrdId);
    if (pending !== undefined) orders!.delete(clOrdId);
    return pending;
  }
}
