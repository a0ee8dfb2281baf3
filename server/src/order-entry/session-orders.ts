/**
 * Cancel-on-disconnect, the same on every channel: the orders one session placed, canceled
 * through order entry when the session ends. An order whose acknowledgement arrives after the
 * end is canceled at once, as the promise to the client says.
 */
import type { Logger } from '../observability/logger.js';
import type { OrderEntry } from './order-entry.js';

/** Orders remembered before the finished ones are pruned. */
const PRUNE_AT = 1024;

export class SessionOrders {
  readonly #placed = new Set<string>();
  #ended = false;

  constructor(
    private readonly entry: OrderEntry,
    readonly accountId: string,
    private readonly logger: Logger,
    /** Names the session in logs, e.g. `ws:12` or `fix:FIX.4.4:EXCH->CLIENT`. */
    readonly label: string,
  ) {}

  get size(): number {
    return this.#placed.size;
  }

  /** Records an order this session placed (order entry calls it on every accepted order). */
  placed(orderId: string): void {
    if (this.#ended) {
      void this.#cancel([orderId]);
      return;
    }
    this.#placed.add(orderId);
    if (this.#placed.size >= PRUNE_AT) {
      const open = new Set(this.entry.openOrders(this.accountId).map((o) => o.orderId));
      for (const id of this.#placed) if (!open.has(id)) this.#placed.delete(id);
    }
  }

  /** Ends the session: cancels its open orders; resolves once every cancel has settled. */
  end(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#ended = true;
    if (this.#placed.size === 0) return Promise.resolve();
    const open = this.entry.openOrders(this.accountId).filter((o) => this.#placed.has(o.orderId)).map((o) => o.orderId);
    this.#placed.clear();
    if (open.length > 0) this.logger.info({ session: this.label, accountId: this.accountId, orders: open.length }, 'cancel-on-disconnect');
    return this.#cancel(open);
  }

  async #cancel(orderIds: readonly string[]): Promise<void> {
    await Promise.all(orderIds.map(async (orderId) => {
      try {
        const outcome = await this.entry.cancel(this.accountId, { orderId });
        // Already finished is fine: nothing is left to cancel.
        if (!outcome.ok && outcome.code !== 'ORDER_NOT_FOUND') this.logger.warn({ session: this.label, orderId, code: outcome.code }, 'cancel-on-disconnect refused');
      } catch (err) {
        this.logger.warn({ err, session: this.label, orderId }, 'cancel-on-disconnect failed');
      }
    }));
  }
}
