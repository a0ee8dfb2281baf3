/**
 * The application layer behind every FIX session: turns NewOrderSingle (OrdType D: the accept of
 * an OTC quote), OrderCancelRequest, OrderCancelReplaceRequest, OrderStatusRequest and
 * OrderMassCancelRequest into calls to order entry (the one door: the same rules, order-rate budget, finished-order lookup and
 * cancel-on-disconnect as REST and WebSocket), and turns the core's order events
 * into ExecutionReports for the session that owns the order and for the account's drop-copy
 * sessions. ExecIDs are the core's event sequence numbers, so they are stable across restarts
 * and identical on every channel. QuoteRequest and QuoteResponse go to the OTC desk (quotes.ts).
 */
import type { Logger } from 'pino';
import type { CoreEvent, OrderRef, OrderView, PlaceOrder } from '../../core/api.js';
import { tellPlacement, type AmendChanges, type OrderEntry, type PlacementReceiver } from '../../order-entry/order-entry.js';
import type { OrderOutcome, Refusal, RefusalCode } from '../../order-entry/outcomes.js';
import { SessionOrders } from '../../order-entry/session-orders.js';
import type { RfqDesk } from '../../rfq/desk.js';
import type { CommandBus } from '../../sequencer/api.js';
import { ownCopy, type Body, type Field, type FixMessage } from './codec.js';
import {
  cxlRejReason, ExecType, executionReport, normalizeDecimal, orderCancelReject, ordRejReason, ordStatus,
  ORD_TYPE_FROM_FIX, rejectedOrderReport, sideToFix, sameDecimal, sideFromFix, TIF_FROM_FIX,
} from './execution-report.js';
import { FixQuotes, quoteAcceptFromFix } from './quotes.js';
import { reverseRoute, type FixSession, type SessionApplication } from './session.js';
import { isPromise } from './session-backend.js';
import { PendingNewOrders } from './pending-new-orders.js';
import type { FixSessionStore } from './store.js';
import { MsgType, Tag } from './tags.js';
import { unsupportedInstruction } from './unsupported-instructions.js';
import { formatUtcTimestamp, parseUtcTimestamp } from './time.js';

export interface SessionRole {
  cancelOnDisconnect: boolean;
  dropCopy: boolean;
}

/** What the application does when order entry refuses a NewOrderSingle or fails it (see afterNewOrder). */
type NewOrderAnswer = (session: FixSession, pending: PendingNew, outcome: OrderOutcome | undefined, err?: unknown) => void;

/**
 * A NewOrderSingle waiting for its first report; `replied` settles the message's gateway span.
 * It is also order entry's receiver for the order: one object per order rather than a reaction's
 * closures and promise. A class, not a literal: V8 never moves a constructor's objects into the
 * old generation at allocation (see core/view-objects.ts), and there is one of these per order.
 */
class PendingNew implements PlacementReceiver {
  replied: () => void = noReply;
  constructor(
    readonly session: FixSession, readonly accountId: string, readonly clOrdId: string, readonly route: Field[],
    readonly side: string, readonly symbol: string, private readonly answer: NewOrderAnswer,
  ) {}

  get sessionKey(): string {
    return this.session.key;
  }

  /** Its OrderAccepted event answers it. */
  accepted(): void {}

  refused(refusal: Refusal): void {
    this.answer(this.session, this, refusal);
  }

  failed(error: unknown): void {
    this.answer(this.session, this, undefined, error);
  }
}
interface PendingChange { sessionKey: string; clOrdId: string; origClOrdId: string | undefined; route: Field[] }

/** BusinessRejectReason(380) values used here. */
const BusinessReject = { UnsupportedMessageType: 3, ApplicationNotAvailable: 4, NotAuthorized: 6 } as const;

/** CxlRejReason(102) 0: the order exists but is already filled, canceled or expired. */
const CXL_REJ_TOO_LATE = '0';

/** OrdType(40) D: previously quoted, the accept of an OTC quote named by QuoteID(117). */
const ORD_TYPE_PREVIOUSLY_QUOTED = 'D';

export class FixApplication implements SessionApplication {
  private readonly sessions = new Map<string, FixSession>();
  /** Finds (or recreates from the store) a session that has not logged on since start-up. */
  private resolveSession: (key: string) => FixSession | undefined = () => undefined;
  private readonly dropCopies = new Map<string, Set<FixSession>>();
  private readonly pendingNew = new PendingNewOrders<PendingNew>();
  private readonly pendingCancel = new Map<string, PendingChange>();
  private readonly pendingReplace = new Map<string, PendingChange>();
  /** orderId -> owning session key ('' when no FIX session owns it). */
  private readonly owners = new Map<string, string>();
  private readonly routes = new Map<string, Field[]>();
  /** Events that wait, in order, while the owner of an order placed before a restart is read from the store. */
  private readonly waiting: CoreEvent[] = [];
  private lookingUp = false;
  /** Set when gateways share the session store: an order accepted through another channel here may be a FIX session's at another gateway. */
  private ownersElsewhere = false;
  /** Cancel-on-disconnect: the orders each logged-on session placed. */
  private readonly sessionOrders = new Map<FixSession, SessionOrders>();
  private readonly unsubscribe: () => void;
  /** QuoteRequest and QuoteResponse, when the service runs an OTC desk. */
  private readonly quotes: FixQuotes | undefined;
  private statusCounter = 0;
  /** Made once: each NewOrderSingle's PendingNew calls it on a refusal or a failure. */
  private readonly answerNewOrder: NewOrderAnswer = (session, pending, outcome, err) => this.afterNewOrder(session, pending, outcome, err);

  constructor(
    /** The event stream (ExecutionReports) and the core's sequence (ExecIDs). */
    private readonly bus: CommandBus,
    /** Every order, amend, cancel and lookup goes through order entry. */
    private readonly entry: OrderEntry,
    private readonly store: FixSessionStore,
    private readonly logger: Logger,
    private readonly roleOf: (session: FixSession) => SessionRole,
    private readonly now: () => number = Date.now,
    /** The OTC desk that prices QuoteRequests (none: they are refused as unsupported). */
    rfq?: RfqDesk,
  ) {
    this.unsubscribe = bus.onEvents((events) => this.onEvents(events));
    this.quotes = rfq && new FixQuotes(bus, rfq, logger, now);
  }

  close(): void {
    this.unsubscribe();
    this.quotes?.close();
  }

  /**
   * Lets reports for a session that has not logged on since a restart be stored for it (and
   * resent after its next Logon) instead of being dropped.
   */
  setSessionResolver(resolve: (key: string) => FixSession | undefined): void {
    this.resolveSession = resolve;
  }

  /**
   * Gateways share the session store: an order this gateway did not take may have been placed by
   * a FIX session at another gateway, so its owner is read from the store at its first fill,
   * cancel or amend rather than taken to be no session. The session then gets those reports from
   * here too when the gateway it is live at dies (see AbsentSessionReports).
   */
  learnOwnersFromStore(): void {
    this.ownersElsewhere = true;
  }

  private sessionByKey(key: string): FixSession | undefined {
    let session = this.sessions.get(key);
    if (!session) {
      session = this.resolveSession(key);
      if (session) this.sessions.set(key, session);
    }
    return session;
  }

  /**
   * Orders a session placed, perhaps through another gateway sharing the store: this gateway took
   * them for other channels' orders when it saw them accepted, and must report them to the session
   * now that it logs on here.
   */
  adoptOwnedOrders(sessionKey: string, orderIds: readonly string[]): void {
    for (const orderId of orderIds) this.owners.set(orderId, sessionKey);
  }

  onLogon(session: FixSession): void {
    this.sessions.set(session.key, session);
    for (const set of this.dropCopies.values()) set.delete(session);
    const role = this.roleOf(session);
    if (role.dropCopy) {
      let set = this.dropCopies.get(session.accountId);
      if (!set) this.dropCopies.set(session.accountId, (set = new Set()));
      set.add(session);
    } else if (role.cancelOnDisconnect) {
      this.sessionOrders.set(session, new SessionOrders(this.entry, session.accountId, this.logger, `fix:${session.key}`));
    }
  }

  onDisconnect(session: FixSession): void {
    const orders = this.sessionOrders.get(session);
    if (!orders) return;
    this.sessionOrders.delete(session);
    void orders.end();
  }

  onMessage(session: FixSession, message: FixMessage, replyAwaited = true): void | Promise<void> {
    // The key is checked before every application message, not only on a timer: a message
    // after a revocation or past the expiry is refused and the session ends.
    const keyRefusal = session.keyRefusal(this.now());
    if (keyRefusal !== undefined) {
      session.businessReject(message, BusinessReject.NotAuthorized, keyRefusal);
      session.end(keyRefusal);
      return;
    }
    const type = message.msgType;
    const quoting = type === MsgType.QuoteRequest || type === MsgType.QuoteResponse;
    const handled = type === MsgType.NewOrderSingle || type === MsgType.OrderCancelRequest || type === MsgType.OrderCancelReplaceRequest ||
      type === MsgType.OrderStatusRequest || type === MsgType.OrderMassCancelRequest || (quoting && this.quotes !== undefined);
    if (!handled) {
      session.businessReject(message, BusinessReject.UnsupportedMessageType, 'Unsupported Message Type', false);
      return;
    }
    if (this.roleOf(session).dropCopy) {
      session.businessReject(message, BusinessReject.NotAuthorized, 'Drop-copy sessions cannot send orders', false);
      return;
    }
    if (!this.entry.available && type !== MsgType.OrderStatusRequest) {
      session.businessReject(message, BusinessReject.ApplicationNotAvailable, 'Order entry is unavailable', false);
      return;
    }
    switch (type) {
      case MsgType.NewOrderSingle: return this.newOrder(session, message, replyAwaited);
      case MsgType.OrderCancelRequest: return this.cancel(session, message);
      case MsgType.OrderCancelReplaceRequest: return this.replace(session, message);
      case MsgType.OrderStatusRequest: return this.status(session, message);
      case MsgType.QuoteRequest: return this.quotes!.request(session, message);
      case MsgType.QuoteResponse: return this.quotes!.respond(session, message);
      default: return this.massCancel(session, message);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Inbound requests
  // ------------------------------------------------------------------------------------------

  /** Returns a promise that settles once the order's first ExecutionReport is sent, when one is awaited. */
  private newOrder(session: FixSession, m: FixMessage, replyAwaited: boolean): void | Promise<void> {
    const clOrdId = m.get(Tag.ClOrdID)!;
    const side = m.get(Tag.Side)!;
    const symbol = m.get(Tag.Symbol)!;
    const route = reverseRoute(m);
    const account = m.get(Tag.Account);
    if (account !== undefined && account !== session.accountId) {
      this.rejectOrder(session, clOrdId, symbol, side, route, 'UNKNOWN_ACCOUNT', 'UNKNOWN_ACCOUNT: Account(1) does not match the API key');
      return;
    }
    const unsupported = unsupportedInstruction(m);
    if (unsupported) {
      this.rejectOrder(session, clOrdId, symbol, side, route, 'INVALID_ORDER', `INVALID_ORDER: ${unsupported.name}(${unsupported.tag}) is not supported`);
      return;
    }
    const accountId = session.accountId;
    const pending = new PendingNew(session, accountId, clOrdId, route, side, symbol, this.answerNewOrder);
    const ordTypeText = m.get(Tag.OrdType);
    if (ordTypeText === ORD_TYPE_PREVIOUSLY_QUOTED) {
      const accept = quoteAcceptFromFix(m);
      if ('code' in accept) {
        this.rejectOrder(session, clOrdId, symbol, side, route, accept.code, accept.text);
        return;
      }
      // Symbol(55) is required on a NewOrderSingle: it must be the quote's.
      const quote = this.bus.core.quote(session.accountId, accept.quoteId);
      if (quote !== undefined && quote.symbol !== symbol) {
        this.rejectOrder(session, clOrdId, symbol, side, route, 'QUOTE_MISMATCH', `QUOTE_MISMATCH: quote ${accept.quoteId} is not for ${symbol}`);
        return;
      }
      this.pendingNew.set(accountId, clOrdId, pending);
      this.entry.acceptQuote(session.accountId, accept, { idempotent: false }).then(
        (outcome) => tellPlacement(pending, outcome),
        (err: unknown) => pending.failed(err),
      );
    } else {
      const command = placeOrderCommand(m, accountId, clOrdId, side, symbol, ordTypeText!);
      this.pendingNew.set(accountId, clOrdId, pending);
      // FIX keeps its own duplicate rule: a repeated live ClOrdID is refused (OrdRejReason 6), not replayed.
      this.entry.placeTo(command, this.sessionOrders.get(session), pending);
    }
    // Only a span waits for the reply (see FixSessionObserver.awaitsReplies): no promise per order for nobody.
    if (replyAwaited) return new Promise<void>((resolve) => { pending.replied = resolve; });
  }

  /**
   * A core reject is answered by its OrderRejected event (it arrives after this outcome); this
   * answers refusals without one (the order-rate budget, durability) and failures.
   */
  private afterNewOrder(session: FixSession, pending: PendingNew, outcome: OrderOutcome | undefined, err?: unknown): void {
    if (outcome === undefined) {
      this.logger.error({ err }, 'FIX NewOrderSingle could not be submitted');
      if (this.pendingNew.get(pending.accountId, pending.clOrdId) === pending) this.pendingNew.take(pending.accountId, pending.clOrdId);
      this.rejectOrder(session, pending.clOrdId, pending.symbol, pending.side, pending.route, 'UNAVAILABLE', 'UNAVAILABLE: the order could not be made durable');
      pending.replied();
      return;
    }
    if (!outcome.ok && outcome.rejectedSeq === undefined && this.pendingNew.get(pending.accountId, pending.clOrdId) === pending) {
      this.pendingNew.take(pending.accountId, pending.clOrdId);
      this.rejectOrder(session, pending.clOrdId, pending.symbol, pending.side, pending.route, outcome.code, `${outcome.code}: ${outcome.message}`);
      pending.replied();
    }
  }

  /** An ExecutionReport 150=8 for a NewOrderSingle refused here, before or without a core event. */
  private rejectOrder(
    session: FixSession, clOrdId: string, symbol: string, side: string, route: Field[], code: RefusalCode | 'UNAVAILABLE', text: string,
  ): void {
    session.sendApplication(MsgType.ExecutionReport, rejectedOrderReport({
      execId: this.gatewayExecId(), clOrdId, accountId: session.accountId, symbol, side, ordRejReason: ordRejReason(code), text, transactTime: this.now(),
    }), route);
  }

  private orderRef(m: FixMessage, clOrdIdTag: number): OrderRef | undefined {
    const orderId = m.get(Tag.OrderID);
    if (orderId !== undefined) return { orderId };
    const clOrdId = m.get(clOrdIdTag);
    return clOrdId !== undefined ? { clientOrderId: clOrdId } : undefined;
  }

  /**
   * Answers a cancel or replace with OrderCancelReject, reporting the order's state at the moment
   * of refusal (the first of `refs` that finds it). An order that exists but is no longer live is
   * "too late to cancel" (CxlRejReason 0) with its final OrdStatus, not an unknown order.
   */
  private cancelRejecter(
    session: FixSession, refs: readonly OrderRef[],
    r: { clOrdId: string; origClOrdId: string; route: Field[]; responseTo: 'cancel' | 'replace' },
  ): (code: RefusalCode | 'UNAVAILABLE', text: string) => void {
    const send = (current: OrderView | undefined, reason: string, text: string): void => {
      session.sendApplication(MsgType.OrderCancelReject, orderCancelReject({
        orderId: current?.orderId ?? 'NONE', clOrdId: r.clOrdId, origClOrdId: r.origClOrdId, ordStatus: current ? ordStatus(current.status) : '8',
        accountId: session.accountId, responseTo: r.responseTo, reason, text, transactTime: this.now(),
      }), r.route);
    };
    return (code, text) => {
      let current: OrderView | undefined;
      for (const ref of refs) if ((current = this.entry.liveOrder(session.accountId, ref))) break;
      if (current || code !== 'ORDER_NOT_FOUND') return send(current, cxlRejReason(code), text);
      this.findClosed(session.accountId, refs).then(
        (closed) => (closed ? send(closed, CXL_REJ_TOO_LATE, `ORDER_NOT_FOUND: the order is no longer open: it is ${closed.status}`) : send(undefined, cxlRejReason(code), text)),
        (err: unknown) => {
          this.logger.error({ err }, 'FIX: finished-order lookup failed');
          send(undefined, cxlRejReason(code), text);
        },
      );
    };
  }

  /** The first of `refs` that names a finished order of the account. */
  private async findClosed(accountId: string, refs: readonly OrderRef[]): Promise<OrderView | undefined> {
    const found = await Promise.all(refs.map((ref) => this.entry.closedOrder(accountId, ref)));
    return found.find((order) => order !== undefined);
  }

  private cancel(session: FixSession, m: FixMessage): void {
    const clOrdId = m.get(Tag.ClOrdID)!;
    const origClOrdId = m.get(Tag.OrigClOrdID)!;
    const ref = this.orderRef(m, Tag.OrigClOrdID)!;
    const route = reverseRoute(m);
    const order = this.entry.liveOrder(session.accountId, ref);
    const refuse = this.cancelRejecter(session, [ref], { clOrdId, origClOrdId, route, responseTo: 'cancel' });
    if (!order) {
      refuse('ORDER_NOT_FOUND', 'ORDER_NOT_FOUND: no open order with that OrigClOrdID/OrderID');
      return;
    }
    const change: PendingChange = { sessionKey: session.key, clOrdId, origClOrdId: order.clientOrderId ?? origClOrdId, route };
    this.pendingCancel.set(order.orderId, change);
    this.entry.cancel(session.accountId, { orderId: order.orderId }).then(
      (result) => this.afterChange(result, this.pendingCancel, order.orderId, change, refuse),
      () => this.afterChange(undefined, this.pendingCancel, order.orderId, change, refuse),
    );
  }

  private replace(session: FixSession, m: FixMessage): void {
    const clOrdId = m.get(Tag.ClOrdID)!;
    const origClOrdId = m.get(Tag.OrigClOrdID)!;
    const ref = this.orderRef(m, Tag.OrigClOrdID)!;
    const route = reverseRoute(m);
    const order = this.entry.liveOrder(session.accountId, ref);
    // After a replace that got as far as the core, the order may already carry the new ClOrdID.
    const refuse = this.cancelRejecter(session, [ref, { clientOrderId: clOrdId }], { clOrdId, origClOrdId, route, responseTo: 'replace' });
    if (!order) {
      refuse('ORDER_NOT_FOUND', 'ORDER_NOT_FOUND: no open order with that OrigClOrdID/OrderID');
      return;
    }
    const unsupported = unsupportedInstruction(m);
    if (unsupported) {
      refuse('INVALID_ORDER', `INVALID_ORDER: ${unsupported.name}(${unsupported.tag}) is not supported`);
      return;
    }
    if (sideFromFix(m.get(Tag.Side)!) !== order.side || m.get(Tag.Symbol) !== order.symbol || ORD_TYPE_FROM_FIX[m.get(Tag.OrdType)!] !== order.orderType) {
      refuse('INVALID_ORDER', 'INVALID_ORDER: Side, Symbol and OrdType cannot be changed');
      return;
    }
    const changes: AmendChanges = { newClientOrderId: ownCopy(clOrdId) };
    const price = m.get(Tag.Price);
    if (price !== undefined && (order.price === undefined || !sameDecimal(price, order.price))) changes.price = ownCopy(normalizeDecimal(price));
    const qty = m.get(Tag.OrderQty);
    if (qty !== undefined && (order.quantity === undefined || !sameDecimal(qty, order.quantity))) changes.quantity = normalizeDecimal(qty);
    const stopPx = m.get(Tag.StopPx);
    if (stopPx !== undefined && (order.stopPrice === undefined || !sameDecimal(stopPx, order.stopPrice))) changes.stopPrice = ownCopy(normalizeDecimal(stopPx));
    const change: PendingChange = { sessionKey: session.key, clOrdId, origClOrdId: order.clientOrderId ?? origClOrdId, route };
    this.pendingReplace.set(order.orderId, change);
    this.entry.amend(session.accountId, { orderId: order.orderId }, changes).then(
      (result) => this.afterChange(result, this.pendingReplace, order.orderId, change, refuse),
      () => this.afterChange(undefined, this.pendingReplace, order.orderId, change, refuse),
    );
  }

  private afterChange(
    result: OrderOutcome | undefined, pending: Map<string, PendingChange>, orderId: string, change: PendingChange,
    refuse: (code: RefusalCode | 'UNAVAILABLE', text: string) => void,
  ): void {
    if (result?.ok) return; // the order event answers
    if (pending.get(orderId) === change) pending.delete(orderId);
    if (result) refuse(result.code, `${result.code}: ${result.message}`);
    else refuse('UNAVAILABLE', 'UNAVAILABLE: the request could not be made durable');
  }

  private status(session: FixSession, m: FixMessage): void {
    const clOrdId = m.get(Tag.ClOrdID)!;
    const ref = this.orderRef(m, Tag.ClOrdID)!;
    const execId = `S${this.bus.core.seq}-${++this.statusCounter}`;
    const report = (order: OrderView | undefined): void => {
      if (!order) {
        session.sendApplication(MsgType.ExecutionReport, rejectedOrderReport({
          execId, clOrdId, accountId: session.accountId, symbol: m.get(Tag.Symbol)!, side: m.get(Tag.Side)!, ordRejReason: '5',
          text: 'ORDER_NOT_FOUND: unknown order', transactTime: this.now(), execType: ExecType.OrderStatus,
        }), reverseRoute(m));
        return;
      }
      session.sendApplication(MsgType.ExecutionReport, executionReport(order, { execId, execType: ExecType.OrderStatus, transactTime: order.updatedAt }), reverseRoute(m));
    };
    // A finished order is still known: report its final state, as REST's getOrder does.
    this.entry.findOrder(session.accountId, ref).then(report, (err: unknown) => {
      this.logger.error({ err }, 'FIX: finished-order lookup failed');
      report(undefined);
    });
  }

  private massCancel(session: FixSession, m: FixMessage): void {
    const clOrdId = m.get(Tag.ClOrdID)!;
    const requestType = m.get(Tag.MassCancelRequestType)!;
    const symbol = m.get(Tag.Symbol);
    const route = reverseRoute(m);
    const report = (response: string, orderId: string, affected?: number, rejectReason?: string, text?: string): void => {
      const body: Field[] = [[Tag.ClOrdID, clOrdId], [Tag.OrderID, orderId], [Tag.MassCancelRequestType, requestType], [Tag.MassCancelResponse, response]];
      if (rejectReason !== undefined) body.push([Tag.MassCancelRejectReason, rejectReason]);
      if (affected !== undefined) body.push([Tag.TotalAffectedOrders, String(affected)]);
      if (symbol !== undefined) body.push([Tag.Symbol, symbol]);
      body.push([Tag.TransactTime, this.nowStamp()]);
      if (text !== undefined) body.push([Tag.Text, text]);
      session.sendApplication(MsgType.OrderMassCancelReport, body, route);
    };
    if (requestType === '1' && symbol === undefined) {
      report('0', 'NONE', undefined, '1', 'Symbol(55) is required for MassCancelRequestType=1');
      return;
    }
    this.entry.cancelAll(session.accountId, requestType === '1' ? symbol : undefined).then(
      (result) => {
        if (!result.ok) {
          report('0', 'NONE', undefined, result.code === 'UNKNOWN_SYMBOL' ? '1' : '99', `${result.code}: ${result.message}`);
          return;
        }
        report(requestType, `MC${result.seq}`, result.canceled.length);
      },
      () => report('0', 'NONE', undefined, '99', 'UNAVAILABLE: the request could not be made durable'),
    );
  }

  // ------------------------------------------------------------------------------------------
  // Core events -> ExecutionReports
  // ------------------------------------------------------------------------------------------

  private onEvents(events: readonly CoreEvent[]): void {
    if (this.lookingUp) this.waiting.push(...events);
    else this.handleEvents(events);
  }

  private handleEvents(events: readonly CoreEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const lookup = this.ownerLookup(event);
      if (lookup) {
        // Reports keep their order: this event and every later one wait for the answer.
        this.lookingUp = true;
        this.waiting.unshift(...events.slice(i));
        void lookup.then(() => {
          this.lookingUp = false;
          this.handleEvents(this.waiting.splice(0));
        });
        return;
      }
      try {
        this.onEvent(event);
      } catch (err) {
        this.logger.error({ err, seq: event.seq }, 'FIX execution report failed');
      }
    }
  }

  /**
   * Learns the owner of an event's order when it is not known here (an order placed before a
   * restart, or through another gateway): at once from SQLite, or a promise with PostgreSQL.
   */
  private ownerLookup(event: CoreEvent): Promise<void> | undefined {
    if (event.type !== 'OrderFilled' && event.type !== 'OrderCanceled' && event.type !== 'OrderAmended') return undefined;
    const orderId = event.order.orderId;
    if (this.owners.has(orderId)) return undefined;
    const answer = this.store.orderOwner(orderId);
    if (!isPromise(answer)) {
      this.owners.set(orderId, answer ?? '');
      return undefined;
    }
    return answer.then(
      (owner) => void this.owners.set(orderId, owner ?? ''),
      (err: unknown) => {
        // Unknown for now: its session does not get this report (the drop copies do); asked again next time.
        this.logger.error({ err, orderId }, 'FIX order owner could not be read from the session store');
      },
    );
  }

  private onEvent(event: CoreEvent): void {
    switch (event.type) {
      case 'OrderAccepted': {
        const { order } = event;
        const pending = order.clientOrderId !== undefined ? this.takePendingNew(order.accountId, order.clientOrderId) : undefined;
        if (pending) {
          this.owners.set(order.orderId, pending.sessionKey);
          if (pending.route.length > 0) this.routes.set(order.orderId, pending.route);
          this.store.saveOrderOwner(order.orderId, pending.sessionKey);
        } else {
          // Placed on another channel: no FIX session owns it, unless (shared store) one at another gateway does.
          if (!this.ownersElsewhere) this.owners.set(order.orderId, '');
        }
        this.deliver(event.seq, order, executionReport(order, { execId: String(event.seq), execType: ExecType.New, transactTime: event.ts }));
        pending?.replied();
        return;
      }
      case 'OrderRejected': {
        const pending = event.clientOrderId !== undefined ? this.takePendingNew(event.accountId, event.clientOrderId) : undefined;
        if (!pending) {
          // Rejected on another channel: only the account's drop copies hear of it (when the side was valid).
          const copies = this.dropCopies.get(event.accountId);
          if (!copies || event.side === undefined || event.symbol === undefined) return;
          const copy = rejectedOrderReport({
            execId: String(event.seq), clOrdId: event.clientOrderId ?? 'NONE', accountId: event.accountId, symbol: event.symbol,
            side: sideToFix(event.side), ordRejReason: ordRejReason(event.code), text: `${event.code}: ${event.message}`, transactTime: event.ts,
          });
          for (const dc of copies) dc.sendApplication(MsgType.ExecutionReport, copy, [], event.seq);
          return;
        }
        const body = rejectedOrderReport({
          execId: String(event.seq), clOrdId: event.clientOrderId!, accountId: event.accountId, symbol: event.symbol ?? pending.symbol,
          side: pending.side, ordRejReason: ordRejReason(event.code), text: `${event.code}: ${event.message}`, transactTime: event.ts,
        });
        this.sessions.get(pending.sessionKey)?.sendApplication(MsgType.ExecutionReport, body, pending.route, event.seq);
        pending.replied();
        for (const dc of this.dropCopies.get(event.accountId) ?? []) dc.sendApplication(MsgType.ExecutionReport, body, [], event.seq);
        return;
      }
      case 'OrderFilled':
        this.deliver(event.seq, event.order, executionReport(event.order, {
          execId: String(event.seq), execType: ExecType.Trade, transactTime: event.ts, lastQty: event.quantity, lastPx: event.price,
          liquidity: event.liquidity, tradeId: event.tradeId, fee: event.fee, feeAsset: event.feeAsset,
        }));
        return;
      case 'OrderCanceled': {
        const change = this.takeChange(this.pendingCancel, event.order.orderId);
        const expired = event.reason === 'expired';
        this.deliver(event.seq, event.order, executionReport(event.order, {
          execId: String(event.seq), execType: expired ? ExecType.Expired : ExecType.Canceled, transactTime: event.ts,
          clOrdId: change?.clOrdId, origClOrdId: change?.origClOrdId, text: `canceled: ${event.reason}`,
        }), change?.route);
        return;
      }
      case 'OrderTriggered':
        // FIX 4.4 ExecType L: the stop price was reached; the order is now working in the book.
        this.deliver(event.seq, event.order, executionReport(event.order, { execId: String(event.seq), execType: ExecType.Triggered, transactTime: event.ts }));
        return;
      case 'OrderAmended': {
        const change = this.takeChange(this.pendingReplace, event.order.orderId);
        this.deliver(event.seq, event.order, executionReport(event.order, {
          execId: String(event.seq), execType: ExecType.Replaced, transactTime: event.ts, clOrdId: event.order.clientOrderId ?? change?.clOrdId,
          origClOrdId: change?.origClOrdId,
        }), change?.route);
        return;
      }
      default:
        return;
    }
  }

  /** The report of core event `seq` to the order's owner session and the account's drop copies. */
  private deliver(seq: number, order: OrderView, body: Body, route?: Field[]): void {
    const owner = this.ownerOf(order.orderId);
    if (owner) this.sessionByKey(owner)?.sendApplication(MsgType.ExecutionReport, body, route ?? this.routes.get(order.orderId) ?? NO_ROUTE, seq);
    if (order.status !== 'new' && order.status !== 'partially_filled') this.routes.delete(order.orderId);
    // No empty array (and its iterator) per report for an account without drop copies.
    const copies = this.dropCopies.get(order.accountId);
    if (copies) for (const dc of copies) dc.sendApplication(MsgType.ExecutionReport, body, NO_ROUTE, seq);
  }

  /** Known by then: set at OrderAccepted, or read by ownerLookup before the event was handled. */
  private ownerOf(orderId: string): string {
    return this.owners.get(orderId) ?? '';
  }

  private takePendingNew(accountId: string, clOrdId: string): PendingNew | undefined {
    return this.pendingNew.take(accountId, clOrdId);
  }

  private takeChange(map: Map<string, PendingChange>, orderId: string): PendingChange | undefined {
    const change = map.get(orderId);
    if (change) map.delete(orderId);
    return change;
  }

  private gatewayExecId(): string {
    return `G${this.bus.core.seq}-${++this.statusCounter}`;
  }

  private nowStamp(): string {
    return formatUtcTimestamp(this.now());
  }
}

/**
 * A NewOrderSingle for the book, as the core's command (its keys in the order order entry's
 * `place` would give them). ClOrdID, Side, Symbol and OrdType come as newOrder has already read
 * them: each read of a field cuts a new string out of the frame.
 */
function placeOrderCommand(m: FixMessage, accountId: string, clOrdId: string, side: string, symbol: string, ordTypeText: string): PlaceOrder {
  const tifText = m.get(Tag.TimeInForce);
  // The dictionary admits OrdType 1 to 4 here (D, previously quoted, takes a quote instead).
  const ordType = ORD_TYPE_FROM_FIX[ordTypeText]!;
  const command: PlaceOrder = {
    type: 'PlaceOrder',
    accountId,
    symbol,
    clientOrderId: ownCopy(clOrdId),
    side: sideFromFix(side),
    orderType: ordType,
    timeInForce: tifText !== undefined ? TIF_FROM_FIX[tifText]! : ordType === 'market' ? 'IOC' : 'GTC',
  };
  const price = m.get(Tag.Price);
  if (price !== undefined) command.price = ownCopy(normalizeDecimal(price));
  const stopPx = m.get(Tag.StopPx);
  if (stopPx !== undefined) command.stopPrice = ownCopy(normalizeDecimal(stopPx));
  const qty = m.get(Tag.OrderQty);
  if (qty !== undefined) command.quantity = normalizeDecimal(qty);
  const cashQty = m.get(Tag.CashOrderQty);
  if (cashQty !== undefined) command.quoteQuantity = normalizeDecimal(cashQty);
  const expire = m.get(Tag.ExpireTime);
  if (expire !== undefined) command.expireAt = parseUtcTimestamp(expire)!;
  const execInst = m.get(Tag.ExecInst);
  if (execInst !== undefined && execInst.split(' ').includes('6')) command.postOnly = true;
  return command;
}

/** The route of a report without routing fields, shared (nothing writes into a route). */
const NO_ROUTE: readonly Field[] = Object.freeze([]);

/** Until the reply promise is made. */
function noReply(): void {}
