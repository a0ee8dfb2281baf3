/**
 * Order entry, independent of the channel: REST and WebSocket both call it, so an order is
 * validated, limited, de-duplicated and reported the same way whichever door it came through.
 * Each method resolves only after the command is durable (the CommandBus guarantees it) and
 * throws an ApiError carrying the shared error code on any refusal.
 */
import type { Command, CommandResult, OrderRef, OrderView, PlaceOrder } from '../core/api.js';
import { ApiError } from '../errors/api-error.js';
import type { HistoryStore } from '../history/store.js';
import { rateLimitedError, type OrderRateLimiter, type RateLimitUsage } from '../limits/index.js';
import type { CommandBus } from '../sequencer/api.js';
import { submitCommand, type Accepted } from './submit.js';
import { IdempotentRunner } from './idempotency.js';
import type { IdempotencyStore } from '../storage/idempotency-store.js';
import { acceptedOrderId, canceledOrders, orderOutcome, toApiOrder, type ApiFill, type ApiOrder, type ApiOrderRequest } from './views.js';

export interface OrderResult { order: ApiOrder; fills: ApiFill[] }
export interface AmendChanges { price?: string; quantity?: string; newClientOrderId?: string }

export interface OrderEntryDeps {
  bus: CommandBus;
  history: Pick<HistoryStore, 'getOrder'> | undefined;
  /** Resolves once the history holds every acknowledged command (it trails by a moment). */
  historySynced?: () => Promise<void>;
  orderLimiter: OrderRateLimiter;
  idempotency: IdempotencyStore;
  clock: () => number;
}

export class OrderEntry {
  readonly #deps: OrderEntryDeps;
  readonly #runner: IdempotentRunner;

  constructor(deps: OrderEntryDeps) {
    this.#deps = deps;
    this.#runner = new IdempotentRunner(deps.idempotency, deps.clock);
  }

  /** Places an order. A client order id makes retries safe (same body: same answer). */
  async place(accountId: string, request: ApiOrderRequest): Promise<OrderResult> {
    if (request.clientOrderId === undefined) return this.#place(accountId, request);
    const response = await this.#runner.run(`order:${accountId}`, request.clientOrderId, request, async () => ({ status: 201, body: await this.#place(accountId, request) }));
    return response.body;
  }

  /** Each order on its own; one failure does not stop the others. */
  async placeBatch(accountId: string, requests: readonly ApiOrderRequest[]): Promise<({ ok: true } & OrderResult | { ok: false; error: ApiError })[]> {
    const settled = await Promise.allSettled(requests.map((r) => this.place(accountId, r)));
    return settled.map((s) => {
      if (s.status === 'fulfilled') return { ok: true as const, ...s.value };
      if (s.reason instanceof ApiError) return { ok: false as const, error: s.reason };
      throw s.reason;
    });
  }

  async amend(accountId: string, ref: OrderRef, changes: AmendChanges): Promise<OrderResult> {
    await this.#spendOrderRate(accountId);
    const result = await this.#submitForLiveOrder(accountId, ref, {
      type: 'AmendOrder', accountId, ...ref,
      ...(changes.price !== undefined && { newPrice: changes.price }),
      ...(changes.quantity !== undefined && { newQuantity: changes.quantity }),
      ...(changes.newClientOrderId !== undefined && { newClientOrderId: changes.newClientOrderId }),
    } as Command);
    return this.#outcome(result, subjectOrderId(result));
  }

  async cancel(accountId: string, ref: OrderRef): Promise<ApiOrder> {
    const result = await this.#submitForLiveOrder(accountId, ref, { type: 'CancelOrder', accountId, ...ref } as Command);
    return this.#outcome(result, subjectOrderId(result)).order;
  }

  async cancelAll(accountId: string, symbol?: string): Promise<ApiOrder[]> {
    const result = await this.#submit({ type: 'CancelAll', accountId, ...(symbol !== undefined && { symbol }) });
    return canceledOrders(result.events);
  }

  /** A live order from the core, else a closed one from the history store. */
  async getOrder(accountId: string, ref: OrderRef): Promise<ApiOrder> {
    const live = this.#deps.bus.core.order(accountId, ref);
    if (live) return toApiOrder(live);
    const closed = await this.closedOrder(accountId, ref);
    if (closed) return toApiOrder(closed);
    throw new ApiError({ status: 404, code: 'ORDER_NOT_FOUND', detail: 'No such order for this account.' });
  }

  /** An order that is no longer live (filled, canceled, expired), from the history store. */
  async closedOrder(accountId: string, ref: OrderRef): Promise<OrderView | undefined> {
    // Read your own writes: an order acknowledged a moment ago may not be in the history yet.
    await this.#deps.historySynced?.();
    return this.#deps.history?.getOrder(accountId, ref);
  }

  /** The account's live orders, oldest first. */
  openOrders(accountId: string, symbol?: string): ApiOrder[] {
    return this.#deps.bus.core.openOrders(accountId, symbol).map((o) => toApiOrder(o));
  }

  /** Runs any other mutating action at most once per `Idempotency-Key` (none given: just runs it). */
  idempotent<S extends number, T>(scope: string, key: string | undefined, request: unknown, action: () => Promise<{ status: S; body: T }>): Promise<{ status: S; body: T }> {
    return key === undefined ? action() : this.#runner.run(`key:${scope}`, key, request, action);
  }

  orderRateUsage(accountId: string): Promise<RateLimitUsage[]> {
    return this.#deps.orderLimiter.usage(accountId);
  }

  async #place(accountId: string, r: ApiOrderRequest): Promise<OrderResult> {
    await this.#spendOrderRate(accountId);
    const command: PlaceOrder = {
      type: 'PlaceOrder', accountId, symbol: r.symbol, side: r.side, orderType: r.type, timeInForce: r.timeInForce ?? 'GTC',
      ...(r.clientOrderId !== undefined && { clientOrderId: r.clientOrderId }),
      ...(r.price !== undefined && { price: r.price }),
      ...(r.quantity !== undefined && { quantity: r.quantity }),
      ...(r.quoteQuantity !== undefined && { quoteQuantity: r.quoteQuantity }),
      ...(r.expireAt !== undefined && { expireAt: r.expireAt }),
      ...(r.postOnly !== undefined && { postOnly: r.postOnly }),
      ...(r.selfTradePrevention !== undefined && { stp: r.selfTradePrevention }),
    };
    const result = await this.#submit(command);
    const orderId = acceptedOrderId(result.events);
    if (orderId === undefined) throw new ApiError({ status: 500, code: 'INTERNAL_ERROR', detail: 'The order was accepted without an order id.' });
    return this.#outcome(result, orderId);
  }

  async #spendOrderRate(accountId: string): Promise<void> {
    const decision = await this.#deps.orderLimiter.consume(accountId);
    if (!decision.allowed) throw rateLimitedError(decision);
  }

  #submit(command: Command): Promise<Accepted> {
    return submitCommand(this.#deps.bus, command);
  }

  /**
   * Submits a command that needs a live order. When the core knows no live order by that
   * reference but the history holds a finished one, the ORDER_NOT_FOUND says so (too late to
   * cancel or amend), so a client can tell it from an order it never had.
   */
  async #submitForLiveOrder(accountId: string, ref: OrderRef, command: Command): Promise<Accepted> {
    try {
      return await this.#submit(command);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'ORDER_NOT_FOUND') throw err;
      const closed = await this.closedOrder(accountId, ref);
      if (!closed) throw err;
      throw new ApiError({ status: 404, code: 'ORDER_NOT_FOUND', detail: `The order is no longer open: it is ${closed.status}.` });
    }
  }

  #outcome(result: CommandResult, orderId: string | undefined): OrderResult {
    const outcome = orderId === undefined ? undefined : orderOutcome(result.events, orderId);
    if (!outcome) throw new ApiError({ status: 500, code: 'INTERNAL_ERROR', detail: 'The command produced no order state.' });
    return outcome;
  }
}

/**
 * The order an accepted amend or cancel acted on: the core emits its OrderAmended or OrderCanceled
 * before anything else (an amend that crosses trades afterwards, as a taker).
 */
function subjectOrderId(result: CommandResult): string | undefined {
  for (const e of result.events) if ('order' in e) return e.order.orderId;
  return undefined;
}
