/**
 * Handles one inbound frame, in a fixed order, each step with its own error code:
 *   1. read the frame's `op` and `id` (whatever parses), to know what to charge and whom to answer
 *   2. charge the op's request weight (key and IP budgets)  RATE_LIMITED (a flood closes with 4005)
 *   3. refuse a frame that is not JSON text                 MALFORMED_JSON
 *   4. validate against the contract's request schema       VALIDATION_FAILED
 *   5. check the session and scope the op needs             WS_LOGIN_REQUIRED / AUTH_SCOPE_MISSING
 *   6. run the op (order entry goes through the shared OrderEntry, so its checks, order-rate
 *      limits, idempotency and error codes are REST's)
 * and answers with one reply or one error frame carrying the caller's rate-limit usage.
 */
import type { RawData } from 'ws';
import type {
  AmendArgs, BatchItem, BatchItemResult, ClientMessage, LoginArgs, OrderRefArgs, OrderRequest, RequestId, SubscriptionArgs, SubscriptionResult,
} from '../../../../generated/asyncapi.js';
import { authApiError, type ApiKeyStore, type RequestVerifier, type Scope } from '../../auth/index.js';
import type { OrderRef } from '../../core/api.js';
import type { ApiError } from '../../errors/api-error.js';
import { rejectionError } from '../../errors/reject-codes.js';
import { rateLimitedError, type RateLimitUsage, type RequestRateLimiter } from '../../limits/index.js';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from '../../observability/logger.js';
import { inGatewaySpan } from '../../observability/tracing.js';
import type { OrderEntry } from '../../order-entry/order-entry.js';
import { SessionOrders } from '../../order-entry/session-orders.js';
import { apiCanceledOrders, apiOrderResult, placeRequestFromApi } from '../../order-entry/views.js';
import type { CommandBus } from '../../sequencer/api.js';
import type { QuoteAcceptRequest } from '../../order-entry/order-entry.js';
import type { DealerAnswer, DealerHub } from '../../rfq/dealers.js';
import type { RfqDesk, RfqInput } from '../../rfq/desk.js';
import { toApiQuote } from '../../rfq/views.js';
import { CloseCode, type WsConfig } from './config.js';
import { PRIVATE_CHANNELS, type Channel, type PrivateChannel, type Subscription, type WsConnection } from './connection.js';
import { isRequestOp, REQUEST_OPS, RequestValidator, type RequestOp } from './contract.js';
import { asApiError, catalogError, errorFrame, usageOf, validationError } from './frames.js';
import type { MarketDataHub } from './market-data.js';
import { privateSnapshot, type PrivateStreams } from './private-streams.js';
import type { SessionRegistry } from './sessions.js';

/** The REST operation whose weight a request spends (see server/src/limits/policies.ts). */
const WEIGHT_OF: Readonly<Record<RequestOp, string>> = {
  ping: 'getServerTime',
  login: 'wsLogin',
  subscribe: 'wsSubscribe',
  unsubscribe: 'wsSubscribe',
  placeOrder: 'placeOrder',
  amendOrder: 'amendOrder',
  cancelOrder: 'cancelOrder',
  cancelAll: 'cancelAllOrders',
  // The batch frame itself weighs the default; each of its requests then spends its own weight.
  batch: 'wsBatch',
  requestQuote: 'requestQuote',
  acceptQuote: 'acceptQuote',
  declineQuote: 'declineQuote',
  getQuote: 'getQuote',
  quoteAnswer: 'quoteAnswer',
};

/** Ops whose answers also report the account's order-rate budgets. */
const ORDER_OPS: ReadonlySet<RequestOp> = new Set<RequestOp>(['placeOrder', 'amendOrder', 'cancelOrder', 'cancelAll', 'batch', 'acceptQuote']);

const DEFAULT_BOOK_DEPTH = 10;

export interface RequestDeps {
  bus: CommandBus;
  verifier: RequestVerifier;
  keys: Pick<ApiKeyStore, 'get'>;
  orders: OrderEntry;
  requestLimiter: RequestRateLimiter;
  market: MarketDataHub;
  privateStreams: PrivateStreams;
  sessions: SessionRegistry;
  config: WsConfig;
  clock: () => number;
  logger: Logger;
  /** Traces each request from its frame (no-op spans when absent). */
  tracer?: Tracer | undefined;
  /** The OTC desk and its dealer connections (RFQ requests, the `rfq` and `dealer` channels). */
  otc?: { desk: RfqDesk; dealers: DealerHub } | undefined;
}

interface Outcome {
  result: object;
  /** Usage to report; defaults to the request-weight decision's. */
  usage?: RateLimitUsage[];
  /** Runs after the reply is sent (snapshots follow their subscribe reply). */
  after?: () => void;
}

type Handler = (connection: WsConnection, request: ClientMessage, usage: RateLimitUsage[]) => Promise<Outcome>;

export class RequestProcessor {
  readonly #validator = new RequestValidator();
  readonly #handlers: Record<RequestOp, Handler>;

  constructor(private readonly deps: RequestDeps) {
    this.#handlers = {
      ping: async () => ({ result: { serverTime: deps.clock() } }),
      login: (c, r) => this.#login(c, r.args as LoginArgs),
      subscribe: async (c, r) => this.#subscribe(c, r.args as SubscriptionArgs),
      unsubscribe: async (c, r) => this.#unsubscribe(c, r.args as SubscriptionArgs),
      placeOrder: (c, r, u) => this.#orderOp(c, u, (accountId) => this.#place(c, accountId, r.args as OrderRequest)),
      amendOrder: (c, r, u) => this.#orderOp(c, u, (accountId) => this.#amend(accountId, r.args as AmendArgs)),
      cancelOrder: (c, r, u) => this.#orderOp(c, u, (accountId) => this.#cancel(accountId, r.args as OrderRefArgs)),
      cancelAll: (c, r, u) => this.#orderOp(c, u, async (accountId) => ({ canceled: apiCanceledOrders(await deps.orders.cancelAll(accountId, (r.args as { symbol?: string } | undefined)?.symbol)) })),
      batch: (c, r) => this.#batch(c, (r.args as { requests: BatchItem[] }).requests),
      requestQuote: async (c, r) => {
        const { accountId } = this.#requireScope(c, 'trade');
        return { result: toApiQuote(await this.#otc().desk.request(accountId, r.args as RfqInput)) };
      },
      acceptQuote: (c, r, u) => this.#orderOp(c, u, async (accountId) => {
        const args = r.args as QuoteAcceptRequest;
        const result = apiOrderResult(await this.#otc().desk.accept(accountId, args));
        return { quote: toApiQuote(await this.#otc().desk.get(accountId, args.quoteId)), ...result };
      }),
      declineQuote: async (c, r) => {
        const { accountId } = this.#requireScope(c, 'trade');
        return { result: toApiQuote(await this.#otc().desk.decline(accountId, (r.args as { quoteId: string }).quoteId)) };
      },
      getQuote: async (c, r) => {
        const { accountId } = this.#requireScope(c, 'read');
        return { result: toApiQuote(await this.#otc().desk.get(accountId, (r.args as { quoteId: string }).quoteId)) };
      },
      quoteAnswer: async (c, r) => {
        this.#requireScope(c, 'quote');
        const dealer = c.subscriptions.get('dealer');
        if (dealer?.dealerProvider === undefined) throw catalogError('WS_NOT_SUBSCRIBED', 'Subscribe to the dealer channel before answering RFQs.');
        const args = r.args as DealerAnswer;
        this.#otc().dealers.answer(dealer.dealerProvider, args);
        return { result: { rfqId: args.rfqId as string } };
      },
    };
  }

  async handle(connection: WsConnection, data: RawData, isBinary: boolean): Promise<void> {
    const { requestLimiter } = this.deps;
    let frame: unknown;
    let parsed = !isBinary;
    if (parsed) {
      try {
        frame = JSON.parse(rawText(data));
      } catch {
        parsed = false;
      }
    }
    const fields = (frame !== null && typeof frame === 'object' ? frame : {}) as { id?: unknown; op?: unknown };
    const op = isRequestOp(fields.op) ? fields.op : undefined;
    const id = isRequestId(fields.id) ? fields.id : null;
    const answerError = (error: ApiError, usage?: RateLimitUsage[]) => connection.sendAnswer(errorFrame(error, { id, op, usage }));

    let decision;
    try {
      decision = await requestLimiter.consume(op === undefined ? 'wsMessage' : WEIGHT_OF[op], callerOf(connection));
    } catch (error) {
      // A shared limit store (Redis) that cannot be reached refuses the frame: fail closed.
      this.deps.logger.error({ err: error, connection: connection.id }, 'ws: rate-limit store unreachable');
      return answerError(catalogError('AUTH_UNAVAILABLE', 'The rate-limit store cannot be reached; the request was refused rather than let through unlimited.'));
    }
    if (!decision.allowed) {
      if (connection.countRefusal()) {
        connection.close(CloseCode.RateLimitFlood, 'too many requests refused for rate limiting');
        return;
      }
      return answerError(rateLimitedError(decision), decision.usage);
    }
    if (!parsed) return answerError(catalogError('MALFORMED_JSON', isBinary ? 'Frames must be JSON text, not binary.' : 'The frame is not valid JSON.'), decision.usage);
    if (op === undefined) {
      return answerError(validationError([{ path: '/op', message: `must be one of ${REQUEST_OPS.join(', ')}` }]), decision.usage);
    }
    const validation = this.#validator.validate(op, frame);
    if (!validation.ok) return answerError(validationError(validation.errors), decision.usage);

    // The gateway span of the request: an order placed here is traced from this frame to its reply.
    await inGatewaySpan(this.deps.tracer, 'ws', `WS ${op}`, { 'network.protocol.name': 'websocket', 'ws.op': op }, async () => {
      try {
        const outcome = await this.#handlers[op](connection, validation.request, decision.usage);
        connection.sendAnswer({ type: 'reply', id, op, result: outcome.result, rateLimit: usageOf(outcome.usage ?? decision.usage) });
        outcome.after?.();
      } catch (error) {
        const apiError = asApiError(error);
        if (apiError.status >= 500) this.deps.logger.error({ err: error, connection: connection.id, op }, 'ws: request failed');
        const accountId = connection.session?.principal.accountId;
        const orderUsage = ORDER_OPS.has(op) && accountId !== undefined ? await this.deps.orders.orderRateUsage(accountId) : [];
        answerError(apiError, [...decision.usage, ...orderUsage]);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Session
  // ---------------------------------------------------------------------------------------------

  async #login(connection: WsConnection, args: LoginArgs): Promise<Outcome> {
    const { verifier, sessions, config, keys, requestLimiter } = this.deps;
    if (connection.session) throw catalogError('WS_ALREADY_LOGGED_IN', 'This connection is already logged in.');
    const auth = await verifier.verifyWsLogin({
      credentials: { keyId: args.keyId, timestamp: String(args.timestamp), signature: args.signature, window: args.window === undefined ? undefined : String(args.window) },
      ip: connection.ip,
    });
    if (!auth.ok) throw authApiError(auth.code, auth.retryAfterSeconds);
    const principal = auth.principal;
    if (sessions.count(principal.keyId) >= config.maxConnectionsPerKey) {
      throw catalogError('WS_TOO_MANY_CONNECTIONS', `The key already has ${config.maxConnectionsPerKey} logged-in WebSocket connections.`);
    }
    const cancelOnDisconnect = args.cancelOnDisconnect ?? false;
    connection.session = {
      principal, cancelOnDisconnect,
      ...(cancelOnDisconnect && { orders: new SessionOrders(this.deps.orders, principal.accountId, this.deps.logger, `ws:${connection.id}`) }),
    };
    sessions.add(connection);
    // A revocation that landed while the signature was being checked found no session to close.
    const record = await keys.get(principal.keyId);
    if (record?.revokedAt !== undefined) connection.close(CloseCode.KeyRevoked, 'API key revoked');
    return {
      result: {
        keyId: principal.keyId, accountId: principal.accountId, scopes: principal.scopes, cancelOnDisconnect: connection.session.cancelOnDisconnect,
        ...(principal.expiresAt !== undefined && { expiresAt: principal.expiresAt }),
      },
      usage: await requestLimiter.usage(callerOf(connection)),
    };
  }

  #otc(): { desk: RfqDesk; dealers: DealerHub } {
    if (this.deps.otc === undefined) throw unavailable();
    return this.deps.otc;
  }

  #requireScope(connection: WsConnection, scope: Scope) {
    const session = connection.session;
    if (!session) throw catalogError('WS_LOGIN_REQUIRED', 'Log in first: this operation needs a logged-in connection.');
    if (!session.principal.scopes.includes(scope)) throw authApiError('AUTH_SCOPE_MISSING');
    return session.principal;
  }

  // ---------------------------------------------------------------------------------------------
  // Subscriptions
  // ---------------------------------------------------------------------------------------------

  #subscribe(connection: WsConnection, args: SubscriptionArgs): Outcome {
    const { market, privateStreams, config, bus } = this.deps;
    const described = describeSubscription(args);
    if (connection.subscriptions.has(described.key)) throw catalogError('WS_ALREADY_SUBSCRIBED', `Already subscribed to ${described.key}.`);
    if (connection.subscriptions.size >= config.maxSubscriptions) {
      throw catalogError('WS_TOO_MANY_SUBSCRIPTIONS', `A connection may hold at most ${config.maxSubscriptions} subscriptions.`);
    }
    if (described.channel === 'dealer') {
      const principal = this.#requireScope(connection, 'quote');
      const provider = this.#otc().dealers.connect({
        keyId: principal.keyId, accountId: principal.accountId, send: (frame) => connection.sendAnswer(frame),
      });
      const sub: Subscription = { ...described, connection, afterSeq: bus.core.seq, stale: false, dealerProvider: provider };
      connection.subscriptions.set(sub.key, sub);
      return { result: { channel: 'dealer' } satisfies SubscriptionResult };
    }
    if (PRIVATE_CHANNELS.has(described.channel)) {
      const principal = this.#requireScope(connection, 'read');
      const channel = described.channel as PrivateChannel;
      const snapshot = privateSnapshot(channel, principal.accountId, bus.core);
      const sub: Subscription = { ...described, connection, afterSeq: snapshot.seq, stale: false };
      connection.subscriptions.set(sub.key, sub);
      privateStreams.add(principal.accountId, sub);
      return { result: { channel, seq: snapshot.seq }, after: () => snapshot.frame && connection.sendAnswer(snapshot.frame) };
    }
    if (!market.hasSymbol(described.symbol!)) throw rejectionError('UNKNOWN_SYMBOL', `No instrument has the symbol ${described.symbol}.`);
    const sub: Subscription = { ...described, connection, afterSeq: 0, stale: false };
    connection.subscriptions.set(sub.key, sub);
    const initial = market.subscribe(sub);
    return { result: subscriptionResult(sub), after: () => initial && connection.sendPublic(sub, initial) };
  }

  #unsubscribe(connection: WsConnection, args: SubscriptionArgs): Outcome {
    const { key } = describeSubscription(args);
    const sub = connection.subscriptions.get(key);
    if (!sub) throw catalogError('WS_NOT_SUBSCRIBED', `Not subscribed to ${key}.`);
    this.removeSubscription(sub);
    return { result: subscriptionResult(sub) };
  }

  removeSubscription(sub: Subscription): void {
    sub.connection.subscriptions.delete(sub.key);
    if (sub.dealerProvider !== undefined) {
      // A dealer that goes away takes its live quotes with it.
      const { desk, dealers } = this.#otc();
      dealers.disconnect(sub.dealerProvider);
      desk.withdrawProvider(sub.dealerProvider).catch((err: unknown) => this.deps.logger.error({ err, provider: sub.dealerProvider }, 'ws: withdrawing a dealer\'s quotes failed'));
      return;
    }
    if (PRIVATE_CHANNELS.has(sub.channel)) this.deps.privateStreams.remove(sub.connection.session!.principal.accountId, sub);
    else this.deps.market.unsubscribe(sub);
  }

  // ---------------------------------------------------------------------------------------------
  // Order entry
  // ---------------------------------------------------------------------------------------------

  async #orderOp(connection: WsConnection, usage: RateLimitUsage[], run: (accountId: string) => Promise<object>): Promise<Outcome> {
    const { accountId } = this.#requireScope(connection, 'trade');
    const result = await run(accountId);
    return { result, usage: [...usage, ...(await this.deps.orders.orderRateUsage(accountId))] };
  }

  async #place(connection: WsConnection, accountId: string, args: OrderRequest): Promise<object> {
    const session = connection.session?.orders;
    return apiOrderResult(await this.deps.orders.place(accountId, placeRequestFromApi(args), session ? { session } : {}));
  }

  async #amend(accountId: string, args: AmendArgs): Promise<object> {
    const { price, quantity, newClientOrderId, stopPrice } = args;
    return apiOrderResult(await this.deps.orders.amend(accountId, orderRef(args), {
      ...(price !== undefined && { price }), ...(quantity !== undefined && { quantity }), ...(newClientOrderId !== undefined && { newClientOrderId }),
      ...(stopPrice !== undefined && { stopPrice }),
    }));
  }

  async #cancel(accountId: string, args: OrderRefArgs): Promise<object> {
    return { order: apiOrderResult(await this.deps.orders.cancel(accountId, orderRef(args))).order };
  }

  /** Each request in turn, charged and checked as if sent alone; a failure does not stop the rest. */
  async #batch(connection: WsConnection, requests: readonly BatchItem[]): Promise<Outcome> {
    const { accountId } = this.#requireScope(connection, 'trade');
    const { requestLimiter, orders } = this.deps;
    const results: BatchItemResult[] = [];
    for (const item of requests) {
      const decision = await requestLimiter.consume(WEIGHT_OF[item.op], callerOf(connection));
      try {
        if (!decision.allowed) throw rateLimitedError(decision);
        const result =
          item.op === 'placeOrder' ? await this.#place(connection, accountId, item.args)
          : item.op === 'amendOrder' ? await this.#amend(accountId, item.args)
          : await this.#cancel(accountId, item.args);
        results.push({ ok: true, op: item.op, result: result as never });
      } catch (error) {
        const e = asApiError(error);
        const retryAfter = e.extra?.retryAfterSeconds;
        results.push({ ok: false, op: item.op, error: { code: e.code, status: e.status, message: e.detail, ...(typeof retryAfter === 'number' && { retryAfterSeconds: retryAfter }) } });
      }
    }
    return { result: { results }, usage: [...(await requestLimiter.usage(callerOf(connection))), ...(await orders.orderRateUsage(accountId))] };
  }
}

function unavailable(): ApiError {
  return catalogError('SERVICE_UNAVAILABLE', 'The OTC desk is not running.');
}

function callerOf(connection: WsConnection) {
  return { ip: connection.ip, keyId: connection.session?.principal.keyId };
}

function orderRef(args: OrderRefArgs | AmendArgs): OrderRef {
  return 'orderId' in args && args.orderId !== undefined ? { orderId: args.orderId } : { clientOrderId: (args as { clientOrderId: string }).clientOrderId };
}

type Described = Pick<Subscription, 'key' | 'channel' | 'symbol' | 'depth' | 'interval'>;

/** The subscription's key and parameters, defaults filled in. */
export function describeSubscription(args: SubscriptionArgs): Described {
  switch (args.channel) {
    case 'book': {
      const depth = args.depth ?? DEFAULT_BOOK_DEPTH;
      return { key: `book:${args.symbol}:${depth}`, channel: 'book', symbol: args.symbol, depth };
    }
    case 'candles': return { key: `candles:${args.symbol}:${args.interval}`, channel: 'candles', symbol: args.symbol, interval: args.interval };
    case 'trades': case 'ticker': return { key: `${args.channel}:${args.symbol}`, channel: args.channel, symbol: args.symbol };
    default: return { key: args.channel, channel: args.channel as Channel };
  }
}

function subscriptionResult(sub: Subscription): SubscriptionResult {
  return {
    channel: sub.channel,
    ...(sub.symbol !== undefined && { symbol: sub.symbol }),
    ...(sub.depth !== undefined && { depth: sub.depth as SubscriptionResult['depth'] }),
    ...(sub.interval !== undefined && { interval: sub.interval }),
  };
}

function isRequestId(value: unknown): value is RequestId {
  if (typeof value === 'string') return value.length >= 1 && value.length <= 64;
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
