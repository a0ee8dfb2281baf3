/**
 * @trading-api/sdk: a typed client for the trading API.
 *
 *   const rest = new RestClient({ baseUrl, credentials });   // signed REST, retries, pagination
 *   const ws = new WsClient({ baseUrl, signer: rest.signer }); // streams, local books, order entry
 */
export { RestClient, DEFAULT_BASE_URL } from './rest/client.js';
export type {
  RestClientOptions, Order, Fill, Instrument, OrderRequest, OrderResult, AmendRequest, OrderBook, ListOrdersQuery, ListFillsQuery, ListInstrumentsQuery,
  Quote, RfqRequest, QuoteAcceptRequest, QuoteAcceptResult, ListQuotesQuery, ListQuoteTradesQuery, LimitedRfq, LimitedRfqOutcome,
} from './rest/client.js';
export { signingMiddleware, signRequest } from './rest/signing-middleware.js';
export { retryMiddleware, retryHistory, DEFAULT_RETRY_OPTIONS } from './rest/retry-middleware.js';
export type { RetryOptions, RetryEvent, RetryHistory, RetryHooks } from './rest/retry-middleware.js';
export { isIdempotentRequest, classifyResponse, UNPROCESSED_CODES } from './rest/retry-policy.js';
export type { FailureKind } from './rest/retry-policy.js';
export { paginate } from './rest/pagination.js';
export type { Page } from './rest/pagination.js';

export { WsClient, subscriptionKey } from './ws/client.js';
export type {
  WsClientOptions, WsEvents, ReconnectOptions, RequestOp, ArgsOf, ResultOf, LoginResult, StreamFrame, StreamFrameType, PrivateChannel, SubscribedEvent,
} from './ws/client.js';
export { LocalOrderBook } from './ws/local-book.js';
export type { BookApplyResult, BookListener } from './ws/local-book.js';
export { bookChecksum, crc32 } from './ws/checksum.js';
export type { Level } from './ws/checksum.js';
export { wsUrlFor } from './ws/transport.js';
export type { WebSocketLike, WebSocketConstructor } from './ws/transport.js';

export { RequestSigner, canonicalString, EMPTY_BODY_SHA256 } from './signing.js';
export type { ApiCredentials, HmacCredentials, Ed25519Credentials, KeyObjectLike, WebCryptoKey, SignedHeaders, WsLoginCredentials } from './signing.js';
export { ServerClock } from './clock.js';
export type { Calibration, ClockSample } from './clock.js';
export { ApiError, ConnectionError, parseRetryAfter } from './errors.js';
export type { ApiErrorInit, FieldError, Problem } from './errors.js';
export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { compareDecimal, isZeroDecimal } from './decimal.js';

// The contracts' generated types, so callers need nothing else.
export type { paths, components, operations } from '../../generated/openapi.js';
export type * as WsContract from '../../generated/asyncapi.js';
export type {
  AmendArgs, BatchItem, BatchItemDone, BatchItemFailed, BatchItemResult, BookDepth, BookSnapshot, BookUpdate, CancelAllArgs, CandleFrame, ClientMessage,
  ErrorFrame, FillFrame, Heartbeat, OrderRefArgs, OrderUpdate, OrderRejectedFrame, RateLimitUsageList, ServerMessage, SubscriptionArgs, SubscriptionResult,
  TickerFrame, TradesFrame, Welcome,
} from '../../generated/asyncapi.js';
export { WS_MESSAGES } from '../../generated/asyncapi.js';
