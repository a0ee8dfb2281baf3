/**
 * The REST client: openapi-fetch over the generated contract types, with request signing,
 * retries, clock calibration, typed errors and iterators over paginated lists. Each method
 * returns the response body and throws `ApiError` on a refusal; `raw` is the underlying typed
 * openapi-fetch client for anything not wrapped here.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from '../../../generated/openapi.js';
import { ServerClock, type Calibration, type ClockSample } from '../clock.js';
import { compareDecimal } from '../decimal.js';
import { ApiError } from '../errors.js';
import { RequestSigner, type ApiCredentials } from '../signing.js';
import { paginate } from './pagination.js';
import { retryHistory, retryMiddleware, type RetryOptions } from './retry-middleware.js';
import { signingMiddleware, signRequest } from './signing-middleware.js';

type Schemas = components['schemas'];
export type Order = Schemas['Order'];
export type Fill = Schemas['Fill'];
export type Instrument = Schemas['Instrument'];
export type OrderRequest = Schemas['OrderRequest'];
export type OrderResult = Schemas['OrderResult'];
export type AmendRequest = Schemas['AmendRequest'];
export type OrderBook = Schemas['OrderBook'];
export type Quote = Schemas['Quote'];
export type RfqRequest = Schemas['RfqRequest'];
export type QuoteAcceptRequest = Schemas['QuoteAcceptRequest'];
export type QuoteAcceptResult = Schemas['QuoteAcceptResult'];
type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;
export type ListOrdersQuery = Omit<QueryOf<'listOrders'>, 'cursor'>;
export type ListFillsQuery = Omit<QueryOf<'listFills'>, 'cursor'>;
export type ListInstrumentsQuery = Omit<QueryOf<'listInstruments'>, 'cursor'>;
export type ListOpenOrdersQuery = Omit<QueryOf<'listOpenOrders'>, 'cursor'>;
export type ListQuotesQuery = Omit<QueryOf<'listRfqs'>, 'cursor'>;
export type ListQuoteTradesQuery = Omit<QueryOf<'listQuoteTrades'>, 'cursor'>;

/** A one-way RFQ taken only at `limitPrice` or better (see `RestClient.requestAndAccept`). */
export interface LimitedRfq extends Omit<RfqRequest, 'side'> {
  side: 'buy' | 'sell';
  /** The worst price you take: the most you pay per unit on a buy, the least you receive on a sell. */
  limitPrice: string;
  /** The accept's client order id (default: a fresh one, so the accept is safe to retry). */
  clientOrderId?: string;
}

/** What `requestAndAccept` did: accepted the quote, or declined it as beyond the limit. */
export type LimitedRfqOutcome =
  | { accepted: true; quote: Quote; result: QuoteAcceptResult }
  | { accepted: false; quote: Quote };

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

export interface RestClientOptions {
  /** Where the API is served; default http://127.0.0.1:8080. */
  baseUrl?: string;
  /** The API key to sign with; omit for public market data only. */
  credentials?: ApiCredentials;
  /** A signer to share with a WebSocket client of the same key (takes precedence over `credentials`). */
  signer?: RequestSigner;
  /** The clock to sign with, when no signer is given. Pass `new ServerClock(localNow)` to inject a local clock. */
  clock?: ServerClock;
  /** Retry settings, or `false` to never retry. */
  retry?: Partial<RetryOptions> | false;
  /** On AUTH_TIMESTAMP_OUT_OF_WINDOW, calibrate the clock against GET /v1/time and retry once (default true; needs retries on). */
  autoCalibrate?: boolean;
  /** Sent as X-API-Window: narrows the server's timestamp window for every signed request. */
  windowMs?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** The body of a successful openapi-fetch call, or the ApiError of a failed one. */
async function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(call: Promise<R>): Promise<NonNullable<R['data']>> {
  const { data, error, response } = await call;
  if (!response.ok) throw ApiError.fromResponse(response, error);
  return data as NonNullable<R['data']>;
}

export class RestClient {
  /** The typed openapi-fetch client, with the same signing and retry middleware. */
  readonly raw: Client<paths>;
  readonly clock: ServerClock;
  readonly signer: RequestSigner | undefined;
  readonly baseUrl: string;
  #calibrating: Promise<Calibration> | undefined;

  constructor(options: RestClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.signer = options.signer ?? (options.credentials ? new RequestSigner(options.credentials, options.clock) : undefined);
    this.clock = this.signer?.clock ?? options.clock ?? new ServerClock();
    this.raw = createClient<paths>({ baseUrl: this.baseUrl, ...(options.fetch && { fetch: options.fetch }) });
    const signer = this.signer;
    if (options.retry !== false) {
      this.raw.use(
        retryMiddleware(options.retry ?? {}, {
          ...(signer && { prepare: (request: Request) => signRequest(signer, request, options.windowMs) }),
          ...(signer && options.autoCalibrate !== false && { recalibrate: async () => void (await this.calibrateClock()) }),
        }),
      );
    }
    if (signer) this.raw.use(signingMiddleware(signer, options.windowMs === undefined ? {} : { windowMs: options.windowMs }));
  }

  // ---------------------------------------------------------------- system

  getServerTime() {
    return unwrap(this.raw.GET('/v1/time'));
  }

  /**
   * Measures the offset between the local clock and the server's over a few round trips and
   * applies it to every later signing timestamp. Concurrent calls share one measurement.
   */
  calibrateClock(samples = 5): Promise<Calibration> {
    this.#calibrating ??= (async () => {
      try {
        const taken: ClockSample[] = [];
        for (let i = 0; i < samples; i++) {
          const sentAt = this.clock.localNow();
          const { serverTime } = await this.getServerTime();
          taken.push({ sentAt, receivedAt: this.clock.localNow(), serverTime });
        }
        return this.clock.applySamples(taken);
      } finally {
        this.#calibrating = undefined;
      }
    })();
    return this.#calibrating;
  }

  // ---------------------------------------------------------------- market data

  listInstruments(query: QueryOf<'listInstruments'> = {}) {
    return unwrap(this.raw.GET('/v1/instruments', { params: { query } }));
  }

  /** Every instrument, page by page. */
  iterateInstruments(query: ListInstrumentsQuery = {}): AsyncGenerator<Instrument, void, undefined> {
    return paginate((cursor) => this.listInstruments({ ...query, ...(cursor !== undefined && { cursor }) }));
  }

  getOrderBook(symbol: string, depth?: number) {
    return unwrap(this.raw.GET('/v1/instruments/{symbol}/book', { params: { path: { symbol }, query: depth === undefined ? {} : { depth } } }));
  }

  listTrades(symbol: string, limit?: number) {
    return unwrap(this.raw.GET('/v1/instruments/{symbol}/trades', { params: { path: { symbol }, query: limit === undefined ? {} : { limit } } }));
  }

  getCandles(symbol: string, query: QueryOf<'getCandles'>) {
    return unwrap(this.raw.GET('/v1/instruments/{symbol}/candles', { params: { path: { symbol }, query } }));
  }

  listTickers(symbol?: string) {
    return unwrap(this.raw.GET('/v1/tickers', { params: { query: symbol === undefined ? {} : { symbol } } }));
  }

  // ---------------------------------------------------------------- orders

  /**
   * Places an order. With a `clientOrderId` the call is retried after ambiguous failures (the
   * server answers a repeat with the original result); without one it is retried only after
   * refusals that changed nothing, such as RATE_LIMITED.
   */
  placeOrder(order: OrderRequest) {
    return unwrap(this.raw.POST('/v1/orders', { body: order }));
  }

  placeOrders(orders: OrderRequest[]) {
    return unwrap(this.raw.POST('/v1/orders/batch', { body: { orders } }));
  }

  amendOrder(orderId: string, changes: AmendRequest) {
    return unwrap(this.raw.PATCH('/v1/orders/{orderId}', { params: { path: { orderId } }, body: changes }));
  }

  amendOrderByClientId(clientOrderId: string, changes: AmendRequest) {
    return unwrap(this.raw.PATCH('/v1/orders/by-client-id/{clientOrderId}', { params: { path: { clientOrderId } }, body: changes }));
  }

  /**
   * Cancels one order. Cancelling is idempotent in effect, so it is retried after ambiguous
   * failures; if an earlier attempt did cancel the order, the retry finds no live order
   * (ORDER_NOT_FOUND), and the client then reads the order and returns it when it is canceled.
   */
  async cancelOrder(orderId: string): Promise<Order> {
    return this.#cancelResolved(this.raw.DELETE('/v1/orders/{orderId}', { params: { path: { orderId } } }), () => this.getOrder(orderId));
  }

  async cancelOrderByClientId(clientOrderId: string): Promise<Order> {
    return this.#cancelResolved(
      this.raw.DELETE('/v1/orders/by-client-id/{clientOrderId}', { params: { path: { clientOrderId } } }),
      () => this.getOrderByClientId(clientOrderId),
    );
  }

  /** Cancels all live orders (of one symbol). An Idempotency-Key makes the retries safe; pass your own to retry across processes. */
  cancelAllOrders(options: { symbol?: string; idempotencyKey?: string } = {}) {
    const key = options.idempotencyKey ?? crypto.randomUUID();
    return unwrap(
      this.raw.DELETE('/v1/orders', {
        params: { query: options.symbol === undefined ? {} : { symbol: options.symbol }, header: { 'Idempotency-Key': key } },
      }),
    );
  }

  getOrder(orderId: string) {
    return unwrap(this.raw.GET('/v1/orders/{orderId}', { params: { path: { orderId } } }));
  }

  getOrderByClientId(clientOrderId: string) {
    return unwrap(this.raw.GET('/v1/orders/by-client-id/{clientOrderId}', { params: { path: { clientOrderId } } }));
  }

  /**
   * One page of live orders, oldest first (at most `limit`, capped at 1,000 by the server). A
   * bare symbol is still accepted, as before paging existed; `iterateOpenOrders` walks every page.
   */
  listOpenOrders(query: string | QueryOf<'listOpenOrders'> = {}) {
    const params = typeof query === 'string' ? { symbol: query } : query;
    return unwrap(this.raw.GET('/v1/orders/open', { params: { query: params } }));
  }

  /** Every live order (of one symbol), page by page by cursor. */
  iterateOpenOrders(query: ListOpenOrdersQuery = {}): AsyncGenerator<Order, void, undefined> {
    return paginate((cursor) => this.listOpenOrders({ ...query, ...(cursor !== undefined && { cursor }) }));
  }

  /** One page of order history. */
  listOrders(query: QueryOf<'listOrders'> = {}) {
    return unwrap(this.raw.GET('/v1/orders', { params: { query } }));
  }

  /** Every order of the history matching `query`, page by page. */
  iterateOrders(query: ListOrdersQuery = {}): AsyncGenerator<Order, void, undefined> {
    return paginate((cursor) => this.listOrders({ ...query, ...(cursor !== undefined && { cursor }) }));
  }

  listFills(query: QueryOf<'listFills'> = {}) {
    return unwrap(this.raw.GET('/v1/fills', { params: { query } }));
  }

  iterateFills(query: ListFillsQuery = {}): AsyncGenerator<Fill, void, undefined> {
    return paginate((cursor) => this.listFills({ ...query, ...(cursor !== undefined && { cursor }) }));
  }

  // ---------------------------------------------------------------- OTC request for quote

  /** Asks for a firm quote (`POST /v1/rfq`); it holds until its `validUntil`. */
  requestQuote(rfq: RfqRequest) {
    return unwrap(this.raw.POST('/v1/rfq', { body: rfq }));
  }

  getQuote(quoteId: string) {
    return unwrap(this.raw.GET('/v1/rfq/{quoteId}', { params: { path: { quoteId } } }));
  }

  /**
   * Takes a quote on one side, at exactly its price and size. With a `clientOrderId` the call is
   * retried after ambiguous failures (the server answers a repeat with the original result).
   */
  acceptQuote(quoteId: string, accept: QuoteAcceptRequest) {
    return unwrap(this.raw.POST('/v1/rfq/{quoteId}/accept', { params: { path: { quoteId } }, body: accept }));
  }

  declineQuote(quoteId: string) {
    return unwrap(this.raw.POST('/v1/rfq/{quoteId}/decline', { params: { path: { quoteId } } }));
  }

  /** One page of the account's quotes, newest first. */
  listQuotes(query: QueryOf<'listRfqs'> = {}) {
    return unwrap(this.raw.GET('/v1/rfq', { params: { query } }));
  }

  iterateQuotes(query: ListQuotesQuery = {}): AsyncGenerator<Quote, void, undefined> {
    return paginate((cursor) => this.listQuotes({ ...query, ...(cursor !== undefined && { cursor }) }));
  }

  /** One page of the account's quote trades (fills with venue `rfq`). */
  listQuoteTrades(query: QueryOf<'listQuoteTrades'> = {}) {
    return unwrap(this.raw.GET('/v1/rfq-trades', { params: { query } }));
  }

  iterateQuoteTrades(query: ListQuoteTradesQuery = {}): AsyncGenerator<Fill, void, undefined> {
    return paginate((cursor) => this.listQuoteTrades({ ...query, ...(cursor !== undefined && { cursor }) }));
  }

  /**
   * Requests a one-way quote and accepts it when its price is within `limitPrice` (a buy's ask at
   * most the limit, a sell's bid at least the limit); otherwise declines it, so it does not stay
   * open, and says so. The accept carries a client order id, so it is retried safely.
   */
  async requestAndAccept(rfq: LimitedRfq): Promise<LimitedRfqOutcome> {
    const { limitPrice, clientOrderId, ...request } = rfq;
    compareDecimal(limitPrice, '0'); // a malformed limit throws before anything is asked
    const quote = await this.requestQuote(request);
    const price = rfq.side === 'buy' ? quote.askPrice : quote.bidPrice;
    const within = price !== undefined && (rfq.side === 'buy' ? compareDecimal(price, limitPrice) <= 0 : compareDecimal(price, limitPrice) >= 0);
    if (!within) return { accepted: false, quote: await this.declineQuote(quote.quoteId) };
    const result = await this.acceptQuote(quote.quoteId, { side: rfq.side, clientOrderId: clientOrderId ?? `rfq-${crypto.randomUUID().replaceAll('-', '')}` });
    return { accepted: true, quote: result.quote, result };
  }

  // ---------------------------------------------------------------- account

  getBalances() {
    return unwrap(this.raw.GET('/v1/balances'));
  }

  getPositions() {
    return unwrap(this.raw.GET('/v1/positions'));
  }

  getAccount() {
    return unwrap(this.raw.GET('/v1/account'));
  }

  async #cancelResolved(
    call: Promise<{ data?: Order; error?: unknown; response: Response }>,
    readBack: () => Promise<Order>,
  ): Promise<Order> {
    const { data, error, response } = await call;
    if (response.ok) return data!;
    const failure = ApiError.fromResponse(response, error);
    if (failure.code === 'ORDER_NOT_FOUND' && retryHistory(response)?.ambiguousFailure) {
      const order = await readBack().catch(() => undefined);
      if (order?.status === 'canceled') return order;
    }
    throw failure;
  }
}
