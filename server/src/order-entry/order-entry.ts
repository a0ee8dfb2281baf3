/**
 * Order entry, independent of the channel: the one door through which REST, WebSocket and FIX
 * place, amend and cancel. It de-duplicates by client order id, spends the account's order-rate
 * budget, submits the command, and answers in the core's terms (see outcomes.ts): the order's
 * state once durable, or a refusal carrying a catalog code. Gateways only translate.
 */
import type { AmendOrder, CancelOrder, Command, CommandResult, OrderRef, OrderView, PlaceOrder } from '../core/api.js';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { HistoryReader } from '../history/reader.js';
import type { OrderRateLimiter, RateLimitDecision, RateLimitUsage } from '../limits/index.js';
import { recordingTracer } from '../observability/tracing.js';
import { CoreUnavailableError, DurabilityError, submitTo, type CommandBus, type ResultReceiver } from '../sequencer/api.js';
import { coreUnavailableMessage } from './submit.js';
import type { IdempotencyStore } from '../storage/idempotency-store.js';
import { IdempotentRunner, OutcomeRunner, type StoredResponse } from './idempotency.js';
import { isFinal, refusal, type CancelAllOutcome, type OrderDone, type OrderOutcome, type Refusal } from './outcomes.js';
import type { SessionOrders } from './session-orders.js';

/** A new order, in the core's terms (the PlaceOrder command without its routing fields). */
export type PlaceRequest = Omit<PlaceOrder, 'type' | 'accountId'>;
/** Taking an OTC quote on one side; quantity and price, when given, must match the quote. */
export interface QuoteAcceptRequest { quoteId: string; side: 'buy' | 'sell'; clientOrderId?: string; quantity?: string; price?: string }
export interface AmendChanges { price?: string; quantity?: string; newClientOrderId?: string; stopPrice?: string }

export interface PlaceOptions {
  /** Replay the stored outcome for a repeated client order id (default true; FIX has its own duplicate rules). */
  idempotent?: boolean;
  /** The session the order belongs to, for cancel-on-disconnect. */
  session?: SessionOrders;
}

/**
 * Told how a placement by `OrderEntry.placeTo` ended. Must not throw. Its methods are called on a
 * later microtask than the call that placed the order, as a promise's reactions would be.
 */
export interface PlacementReceiver {
  /** The core accepted the order (its events carry its state: OrderAccepted and any fills). */
  accepted(): void;
  /** Refused: by the order-rate budget, by durability, or by the core (then `rejectedSeq` names its OrderRejected event). */
  refused(refusal: Refusal): void;
  /** A fault: neither an order nor a refusal. */
  failed(error: unknown): void;
}

/** Tells a placement receiver what an outcome says. */
export function tellPlacement(receiver: PlacementReceiver, outcome: OrderOutcome): void {
  if (outcome.ok) receiver.accepted();
  else receiver.refused(outcome);
}

export interface OrderEntryDeps {
  bus: CommandBus;
  history: Pick<HistoryReader, 'getOrder'> | undefined;
  /** Resolves once the history holds every acknowledged command (it trails by a moment). */
  historySynced?: () => Promise<void>;
  orderLimiter: OrderRateLimiter;
  idempotency: IdempotencyStore;
  clock: () => number;
  /** Traces each new order (`order_entry.place`); no spans at all when absent or disabled. */
  tracer?: Tracer;
  /** Told when a new order is refused by an order-rate limit (it never reaches the core). */
  onOrderRateLimited?: () => void;
}

export class OrderEntry {
  readonly #deps: OrderEntryDeps;
  readonly #runner: IdempotentRunner;
  readonly #outcomes: OutcomeRunner;
  readonly #tracer: Tracer | undefined;

  constructor(deps: OrderEntryDeps) {
    this.#deps = deps;
    this.#tracer = recordingTracer(deps.tracer);
    this.#runner = new IdempotentRunner(deps.idempotency, deps.clock);
    this.#outcomes = new OutcomeRunner(deps.idempotency, deps.clock);
  }

  /** Whether the bus can make new state durable (gateways refuse order entry early when not). */
  get available(): boolean {
    return this.#deps.bus.healthy;
  }

  /** Places an order. A client order id makes retries safe (same request: same answer). */
  place(accountId: string, request: PlaceRequest, options: PlaceOptions = {}): Promise<OrderOutcome> {
    const tracer = this.#tracer;
    // Tracing off: no span object, no context switch.
    if (!tracer) return this.#placeOnce(accountId, request, options);
    return tracer.startActiveSpan('order_entry.place', { attributes: { 'trading.symbol': request.symbol, 'trading.order_type': request.orderType } }, async (span) => {
      try {
        const outcome = await this.#placeOnce(accountId, request, options);
        if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.code });
        return outcome;
      } finally {
        span.end();
      }
    });
  }

  /**
   * Places an order as `place` does with `idempotent: false` (FIX keeps its own duplicate rule),
   * telling `receiver` how it ended instead of resolving an outcome: for a channel that answers an
   * accepted order from the core's events and reads the outcome only of a refusal. The caller
   * builds the whole command (no copy of a request into one per order). With the order-rate
   * budget in this process and a bus that tells receivers, an accepted order costs no promise,
   * closure or outcome object. Traced as `place` when tracing is on (through `place`).
   */
  placeTo(command: PlaceOrder, session: SessionOrders | undefined, receiver: PlacementReceiver): void {
    if (this.#tracer) {
      this.place(command.accountId, command, session ? { idempotent: false, session } : NOT_IDEMPOTENT).then(
        (outcome) => tellPlacement(receiver, outcome),
        (err: unknown) => receiver.failed(err),
      );
      return;
    }
    const spent = this.#spendOrderRate(command.accountId);
    if (isPromise(spent)) {
      spent.then((limited) => this.#submitPlacement(command, session, limited, receiver), (err: unknown) => receiver.failed(err));
      return;
    }
    this.#submitPlacement(command, session, spent, receiver);
  }

  #submitPlacement(command: PlaceOrder, session: SessionOrders | undefined, limited: Refusal | undefined, receiver: PlacementReceiver): void {
    if (limited) {
      this.#deps.onOrderRateLimited?.();
      // Told a microtask later, as `place`'s promise would be.
      queueMicrotask(() => receiver.refused(limited));
      return;
    }
    submitTo(this.#deps.bus, command, new PlacementReply(receiver, session));
  }

  #placeOnce(accountId: string, request: PlaceRequest, options: PlaceOptions): Promise<OrderOutcome> {
    const outcome = request.clientOrderId === undefined || options.idempotent === false
      ? this.#place(accountId, request)
      : this.#outcomes.run<OrderOutcome>(`place:${accountId}`, request.clientOrderId, request, () => this.#place(accountId, request), {
        isFinal,
        conflict: () => refusal('IDEMPOTENCY_CONFLICT', `The client order id "${request.clientOrderId}" was already used with a different order.`),
        unavailable: () => refusal('SERVICE_UNAVAILABLE', 'The idempotency store cannot be reached; nothing was done. Retry with the same client order id.'),
      });
    const session = options.session;
    if (!session) return outcome;
    return outcome.then((placed) => {
      if (placed.ok) session.placed(placed.order.orderId);
      return placed;
    });
  }

  /**
   * Accepts an OTC quote: an order that can only fill in full at the quoted price. It spends the
   * order rate like any order, and a client order id makes retries safe (same request: same answer).
   */
  async acceptQuote(accountId: string, request: QuoteAcceptRequest, options: Pick<PlaceOptions, 'idempotent'> = {}): Promise<OrderOutcome> {
    const run = async (): Promise<OrderOutcome> => {
      const limited = await this.#spendOrderRate(accountId);
      if (limited) return limited;
      const result = await this.#submit({
        type: 'AcceptQuote', accountId, quoteId: request.quoteId, side: request.side,
        ...(request.clientOrderId !== undefined && { clientOrderId: request.clientOrderId }),
        ...(request.quantity !== undefined && { quantity: request.quantity }),
        ...(request.price !== undefined && { price: request.price }),
      });
      if (!result.ok) return result;
      // The accepting client's order is the first the command created.
      const accepted = result.events.find((e) => e.type === 'OrderAccepted');
      return orderDone(result, accepted && 'order' in accepted ? accepted.order.orderId : undefined);
    };
    if (request.clientOrderId === undefined || options.idempotent === false) return run();
    return this.#outcomes.run<OrderOutcome>(`place:${accountId}`, request.clientOrderId, { quoteAccept: request }, run, {
      isFinal,
      conflict: () => refusal('IDEMPOTENCY_CONFLICT', `The client order id "${request.clientOrderId}" was already used with a different order.`),
      unavailable: () => refusal('SERVICE_UNAVAILABLE', 'The idempotency store cannot be reached; nothing was done. Retry with the same client order id.'),
    });
  }

  /** Each order on its own; one refusal does not stop the others. */
  placeBatch(accountId: string, requests: readonly PlaceRequest[]): Promise<OrderOutcome[]> {
    return Promise.all(requests.map((r) => this.place(accountId, r)));
  }

  async amend(accountId: string, ref: OrderRef, changes: AmendChanges): Promise<OrderOutcome> {
    const limited = await this.#spendOrderRate(accountId);
    if (limited) return limited;
    const command: AmendOrder = {
      type: 'AmendOrder', accountId, ...ref,
      ...(changes.price !== undefined && { newPrice: changes.price }),
      ...(changes.quantity !== undefined && { newQuantity: changes.quantity }),
      ...(changes.newClientOrderId !== undefined && { newClientOrderId: changes.newClientOrderId }),
      ...(changes.stopPrice !== undefined && { newStopPrice: changes.stopPrice }),
    };
    return this.#forLiveOrder(accountId, ref, command);
  }

  cancel(accountId: string, ref: OrderRef): Promise<OrderOutcome> {
    const command: CancelOrder = { type: 'CancelOrder', accountId, ...ref };
    return this.#forLiveOrder(accountId, ref, command);
  }

  async cancelAll(accountId: string, symbol?: string): Promise<CancelAllOutcome> {
    const result = await this.#submit({ type: 'CancelAll', accountId, ...(symbol !== undefined && { symbol }) });
    if (!result.ok) return result;
    const canceled = [];
    for (const e of result.events) if (e.type === 'OrderCanceled') canceled.push({ order: e.order, reason: e.reason });
    return { ok: true, canceled, seq: result.events[0]?.seq ?? this.#deps.bus.core.seq };
  }

  /** A live order from the core, else a finished one from the history store. */
  async findOrder(accountId: string, ref: OrderRef): Promise<OrderView | undefined> {
    return this.#deps.bus.core.order(accountId, ref) ?? (await this.closedOrder(accountId, ref));
  }

  /** A live order (the core's view only). */
  liveOrder(accountId: string, ref: OrderRef): OrderView | undefined {
    return this.#deps.bus.core.order(accountId, ref);
  }

  /** An order that is no longer live (filled, canceled, expired), from the history store. */
  async closedOrder(accountId: string, ref: OrderRef): Promise<OrderView | undefined> {
    // Read your own writes: an order acknowledged a moment ago may not be in the history yet.
    await this.#deps.historySynced?.();
    return this.#deps.history?.getOrder(accountId, ref);
  }

  /** The account's live orders, oldest first. */
  openOrders(accountId: string, symbol?: string): OrderView[] {
    return this.#deps.bus.core.openOrders(accountId, symbol);
  }

  /** One page of the account's open orders, oldest first, and the order id to continue after (undefined on the last page). */
  openOrdersPage(accountId: string, symbol: string | undefined, page: { afterOrderId?: string; limit: number }): { orders: OrderView[]; lastOrderId?: string } {
    const limit = page.limit;
    // One more than asked for tells whether another page follows.
    const views = this.#deps.bus.core.openOrders(accountId, symbol, { ...(page.afterOrderId !== undefined && { afterOrderId: page.afterOrderId }), limit: limit + 1 });
    const more = views.length > limit;
    const orders = more ? views.slice(0, limit) : views;
    return more ? { orders, lastOrderId: orders[orders.length - 1]!.orderId } : { orders };
  }

  /** Runs any other mutating action at most once per `Idempotency-Key` (none given: just runs it). */
  idempotent<S extends number, T>(scope: string, key: string | undefined, request: unknown, action: () => Promise<StoredResponse<T, S>>): Promise<StoredResponse<T, S>> {
    return key === undefined ? action() : this.#runner.run(`key:${scope}`, key, request, action);
  }

  orderRateUsage(accountId: string): Promise<RateLimitUsage[]> {
    return this.#deps.orderLimiter.usage(accountId);
  }

  /**
   * Spends the order rate, then submits. Written with plain promise chaining, not async/await:
   * with the order-rate windows in this process the budget is decided at once, and every order
   * on every channel passes here, so each promise less is allocation less on the hot path.
   */
  #place(accountId: string, request: PlaceRequest): Promise<OrderOutcome> {
    const spent = this.#spendOrderRate(accountId);
    if (isPromise(spent)) return spent.then((limited) => this.#placeWithin(accountId, request, limited));
    return this.#placeWithin(accountId, request, spent);
  }

  #placeWithin(accountId: string, request: PlaceRequest, limited: Refusal | undefined): Promise<OrderOutcome> {
    if (limited) {
      this.#deps.onOrderRateLimited?.();
      return Promise.resolve(limited);
    }
    let submitted: Promise<CommandResult>;
    try {
      submitted = this.#deps.bus.submit({ type: 'PlaceOrder', accountId, ...request });
    } catch (err) {
      submitted = Promise.reject(err);
    }
    // One reaction turns the result into the outcome (not one to a refusal, then one to the order).
    return submitted.then(placedOutcome, durabilityRefusal);
  }

  /** Undefined when the order fits the account's budget; answered at once unless the budget is in a shared store. */
  #spendOrderRate(accountId: string): Refusal | undefined | Promise<Refusal | undefined> {
    let decision: true | RateLimitDecision | Promise<RateLimitDecision>;
    try {
      decision = this.#deps.orderLimiter.trySpend(accountId);
    } catch {
      return limiterUnavailable();
    }
    if (decision === true) return undefined;
    // A shared order-rate store (Redis) that cannot be reached refuses the order: fail closed.
    return isPromise(decision) ? decision.then(rateRefusal, limiterUnavailable) : rateRefusal(decision);
  }

  /** Submits a command; a core rejection or a durability failure becomes a refusal. */
  #submit(command: Command): Promise<(CommandResult & { ok: true }) | Refusal> {
    let submitted: Promise<CommandResult>;
    try {
      submitted = this.#deps.bus.submit(command);
    } catch (err) {
      submitted = Promise.reject(err);
    }
    return submitted.then(acceptedOrRefusal, durabilityRefusal);
  }

  /**
   * Submits a command that needs a live order. When the core knows no live order by that
   * reference but the history holds a finished one, the ORDER_NOT_FOUND says so (too late to
   * cancel or amend) and carries it, so a client can tell it from an order it never had.
   */
  async #forLiveOrder(accountId: string, ref: OrderRef, command: Command): Promise<OrderOutcome> {
    const result = await this.#submit(command);
    if (result.ok) return orderDone(result, subjectOrderId(result));
    if (result.code !== 'ORDER_NOT_FOUND') return result;
    const finished = await this.closedOrder(accountId, ref);
    return finished ? refusal('ORDER_NOT_FOUND', `The order is no longer open: it is ${finished.status}.`, { finished }) : result;
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value instanceof Promise;
}

function limiterUnavailable(): Refusal {
  return refusal('SERVICE_UNAVAILABLE', 'The order-rate limit store cannot be reached; the order was refused and nothing was changed.');
}

function rateRefusal(decision: RateLimitDecision): Refusal | undefined {
  if (decision.allowed) return undefined;
  const retryAfterSeconds = decision.retryAfterSeconds ?? 1;
  return refusal('RATE_LIMITED', `Order rate limit exceeded (${decision.refusedBy.join(', ')}); retry after ${retryAfterSeconds} s.`, { rateLimit: decision });
}

function acceptedOrRefusal(result: CommandResult): (CommandResult & { ok: true }) | Refusal {
  if (result.ok) return result;
  const rejected = result.events.find((e) => e.type === 'OrderRejected');
  return refusal(result.code, result.message, { ...(rejected && { rejectedSeq: rejected.seq }), ...(result.details && { details: result.details }) });
}

/** A core that cannot be reached or a durability failure is a refusal (nothing was changed); anything else is a fault and stays one. */
function durabilityRefusal(err: unknown): Refusal {
  if (err instanceof CoreUnavailableError) return refusal('SERVICE_UNAVAILABLE', coreUnavailableMessage(err));
  if (err instanceof DurabilityError) return refusal('JOURNAL_UNAVAILABLE', 'New state cannot be made durable right now; nothing was changed.');
  throw err;
}

/** A PlaceOrder's result as its outcome (a function of the module's: no closure per order). */
function placedOutcome(result: CommandResult): OrderOutcome {
  return placed(acceptedOrRefusal(result));
}

/** A new order's outcome: its state after the command, or the refusal. */
function placed(result: (CommandResult & { ok: true }) | Refusal): OrderOutcome {
  if (!result.ok) return result;
  const orderId = acceptedOrderId(result);
  return orderId === undefined ? acceptedWithoutId() : orderDone(result, orderId);
}

/** The id of the order a PlaceOrder's events accepted, if any. */
function acceptedOrderId(result: CommandResult): string | undefined {
  // A loop, not `find`: every order passes here, and a callback is an allocation per order.
  const events = result.events;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type === 'OrderAccepted') return e.order.orderId;
  }
  return undefined;
}

function acceptedWithoutId(): Refusal {
  return refusal('INTERNAL_ERROR', 'The order was accepted without an order id.');
}

/**
 * A PlaceOrder's result told to a placement receiver: what `placed` and `durabilityRefusal` make
 * of it, without the outcome of an accepted order (the receiver answers from its events).
 * One object per order instead of a promise, its resolving functions and a reaction.
 */
class PlacementReply implements ResultReceiver {
  constructor(private readonly receiver: PlacementReceiver, private readonly session: SessionOrders | undefined) {}

  onResult(result: CommandResult): void {
    const checked = acceptedOrRefusal(result);
    if (!checked.ok) return this.receiver.refused(checked);
    const orderId = acceptedOrderId(result);
    if (orderId === undefined) return this.receiver.refused(acceptedWithoutId());
    this.session?.placed(orderId);
    this.receiver.accepted();
  }

  onError(error: unknown): void {
    let refused: Refusal;
    try {
      refused = durabilityRefusal(error);
    } catch (fault) {
      this.receiver.failed(fault);
      return;
    }
    this.receiver.refused(refused);
  }
}

const NOT_IDEMPOTENT: PlaceOptions = { idempotent: false };

/** The final state of one order within a command's events, with the fills it got and any cancel reason. */
function orderDone(result: CommandResult, orderId: string | undefined): OrderOutcome {
  let done: OrderOutcome | undefined;
  const fills = [];
  for (const e of result.events) {
    if (!('order' in e) || e.order.orderId !== orderId) continue;
    if (e.type === 'OrderFilled') fills.push(e);
    // The reason is added only to a cancel's outcome (no spread of a literal for every order).
    const outcome: OrderDone = { ok: true, order: e.order, fills };
    if (e.type === 'OrderCanceled') outcome.cancelReason = e.reason;
    done = outcome;
  }
  return done ?? refusal('INTERNAL_ERROR', 'The command produced no order state.');
}

/**
 * The order an accepted amend or cancel acted on: the core emits its OrderAmended or OrderCanceled
 * before anything else (an amend that crosses trades afterwards, as a taker).
 */
function subjectOrderId(result: CommandResult): string | undefined {
  for (const e of result.events) if ('order' in e) return e.order.orderId;
  return undefined;
}
