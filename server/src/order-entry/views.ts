/**
 * Maps the core's views and order entry's outcomes to the API's representations (the contract's
 * schemas), for the REST and WebSocket gateways, which share them.
 */
import type { components } from '../../../generated/openapi.js';
import type { CancelReason, Liquidity, OrderFilled, OrderView, RejectCode } from '../core/api.js';
import { ApiError } from '../errors/api-error.js';
import { REJECT_STATUS } from '../errors/reject-codes.js';
import type { FillRecord } from '../history/queries.js';
import { rateLimitedError } from '../limits/index.js';
import type { PlaceRequest } from './order-entry.js';
import type { CancelAllOutcome, OrderOutcome, Refusal } from './outcomes.js';

export type ApiOrder = components['schemas']['Order'];
export type ApiFill = components['schemas']['Fill'];
export type ApiOrderRequest = components['schemas']['OrderRequest'];

export function toApiOrder(o: OrderView, reason?: CancelReason): ApiOrder {
  const cancelReason = reason ?? o.cancelReason;
  return {
    orderId: o.orderId,
    ...(o.clientOrderId !== undefined && { clientOrderId: o.clientOrderId }),
    ...(o.quoteId !== undefined && { quoteId: o.quoteId }),
    symbol: o.symbol,
    side: o.side,
    // /v1 responses cannot widen `type`: a stop shows what it trades as, and its stop fields.
    type: o.orderType === 'stop' ? 'market' : o.orderType === 'stop_limit' ? 'limit' : o.orderType,
    timeInForce: o.timeInForce,
    postOnly: o.postOnly,
    selfTradePrevention: o.stp,
    ...(o.price !== undefined && { price: o.price }),
    ...(o.stopPrice !== undefined && { stopPrice: o.stopPrice }),
    ...(o.triggerState !== undefined && { triggerState: o.triggerState }),
    ...(o.triggeredAt !== undefined && { triggeredAt: o.triggeredAt }),
    ...(o.quantity !== undefined && { quantity: o.quantity }),
    ...(o.quoteQuantity !== undefined && { quoteQuantity: o.quoteQuantity }),
    filledQuantity: o.filledQuantity,
    remainingQuantity: o.remainingQuantity,
    filledQuote: o.filledQuote,
    ...(o.averagePrice !== undefined && { averagePrice: o.averagePrice }),
    status: o.status,
    ...(cancelReason !== undefined && { cancelReason }),
    ...(o.expireAt !== undefined && { expireAt: o.expireAt }),
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

/**
 * The /v1 fill's liquidity and venue. The core marks the accepting client's side of a quote
 * trade `rfq`; /v1 cannot widen its `liquidity` enum, so that client is the taker there and
 * `venue` says `rfq` (the quoting side is the maker).
 */
function fillVenue(liquidity: Liquidity, quoteId: string | undefined): Pick<ApiFill, 'liquidity' | 'venue' | 'quoteId'> {
  if (quoteId === undefined && liquidity !== 'rfq') return { liquidity, venue: 'book' };
  return { liquidity: liquidity === 'rfq' ? 'taker' : liquidity, venue: 'rfq', ...(quoteId !== undefined && { quoteId }) };
}

export function fillFromEvent(e: OrderFilled): ApiFill {
  return {
    tradeId: e.tradeId,
    orderId: e.order.orderId,
    ...(e.order.clientOrderId !== undefined && { clientOrderId: e.order.clientOrderId }),
    symbol: e.order.symbol,
    side: e.order.side,
    price: e.price,
    quantity: e.quantity,
    fee: e.fee,
    feeAsset: e.feeAsset,
    ...fillVenue(e.liquidity, e.order.quoteId),
    ts: e.ts,
    seq: e.seq,
  };
}

export function fillFromRecord(r: FillRecord): ApiFill {
  return {
    tradeId: r.tradeId,
    orderId: r.orderId,
    ...(r.clientOrderId !== undefined && { clientOrderId: r.clientOrderId }),
    symbol: r.symbol,
    side: r.side,
    price: r.price,
    quantity: r.quantity,
    fee: r.fee,
    feeAsset: r.feeAsset,
    ...fillVenue(r.liquidity, r.quoteId),
    ts: r.ts,
    seq: r.seq,
  };
}

/** The contract's order request in the core's terms. */
export function placeRequestFromApi(r: ApiOrderRequest): PlaceRequest {
  return {
    symbol: r.symbol, side: r.side, orderType: r.type, timeInForce: r.timeInForce ?? 'GTC',
    ...(r.clientOrderId !== undefined && { clientOrderId: r.clientOrderId }),
    ...(r.price !== undefined && { price: r.price }),
    ...(r.stopPrice !== undefined && { stopPrice: r.stopPrice }),
    ...(r.quantity !== undefined && { quantity: r.quantity }),
    ...(r.quoteQuantity !== undefined && { quoteQuantity: r.quoteQuantity }),
    ...(r.expireAt !== undefined && { expireAt: r.expireAt }),
    ...(r.postOnly !== undefined && { postOnly: r.postOnly }),
    ...(r.selfTradePrevention !== undefined && { stp: r.selfTradePrevention }),
  };
}

/** The ApiError (problem status, code, headers) for a refusal. */
export function refusalError(r: Refusal): ApiError {
  switch (r.code) {
    case 'RATE_LIMITED':
      return r.rateLimit ? rateLimitedError(r.rateLimit) : new ApiError({ status: 429, code: r.code, detail: r.message });
    case 'IDEMPOTENCY_CONFLICT': return new ApiError({ status: 409, code: r.code, detail: r.message });
    case 'JOURNAL_UNAVAILABLE': return new ApiError({ status: 503, code: r.code, detail: r.message });
    case 'SERVICE_UNAVAILABLE': return new ApiError({ status: 503, code: r.code, detail: r.message, headers: { 'Retry-After': '1' } });
    case 'INTERNAL_ERROR': return new ApiError({ status: 500, code: r.code, detail: r.message });
    default: return new ApiError({ status: REJECT_STATUS[r.code as RejectCode] ?? 400, code: r.code, detail: r.message, ...(r.details && { extra: { ...r.details } }) });
  }
}

/** A place, amend or cancel outcome as the contract's `{ order, fills }`; a refusal is thrown as its ApiError. */
export function apiOrderResult(outcome: OrderOutcome): { order: ApiOrder; fills: ApiFill[] } {
  if (!outcome.ok) throw refusalError(outcome);
  return { order: toApiOrder(outcome.order, outcome.cancelReason), fills: outcome.fills.map(fillFromEvent) };
}

/** A cancel-all outcome as the contract's list of canceled orders; a refusal is thrown as its ApiError. */
export function apiCanceledOrders(outcome: CancelAllOutcome): ApiOrder[] {
  if (!outcome.ok) throw refusalError(outcome);
  return outcome.canceled.map((c) => toApiOrder(c.order, c.reason));
}
