/** Maps the core's views and events to the API's representations (the contract's schemas). */
import type { components } from '../../../generated/openapi.js';
import type { CancelReason, CoreEvent, Liquidity, OrderFilled, OrderView } from '../core/api.js';
import type { FillRecord } from '../history/queries.js';

export type ApiOrder = components['schemas']['Order'];
export type ApiFill = components['schemas']['Fill'];
export type ApiOrderRequest = components['schemas']['OrderRequest'];

export function toApiOrder(o: OrderView, cancelReason?: CancelReason): ApiOrder {
  return {
    orderId: o.orderId,
    ...(o.clientOrderId !== undefined && { clientOrderId: o.clientOrderId }),
    ...(o.quoteId !== undefined && { quoteId: o.quoteId }),
    symbol: o.symbol,
    side: o.side,
    type: o.orderType,
    timeInForce: o.timeInForce,
    postOnly: o.postOnly,
    selfTradePrevention: o.stp,
    ...(o.price !== undefined && { price: o.price }),
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

/** The final state of one order within a command's events, with its fills and any cancel reason. */
export function orderOutcome(events: readonly CoreEvent[], orderId: string): { order: ApiOrder; fills: ApiFill[] } | undefined {
  let view: OrderView | undefined;
  let reason: CancelReason | undefined;
  const fills: ApiFill[] = [];
  for (const e of events) {
    if (e.type === 'OrderAccepted' || e.type === 'OrderAmended') {
      if (e.order.orderId === orderId) view = e.order;
    } else if (e.type === 'OrderFilled') {
      if (e.order.orderId === orderId) {
        view = e.order;
        fills.push(fillFromEvent(e));
      }
    } else if (e.type === 'OrderCanceled' && e.order.orderId === orderId) {
      view = e.order;
      reason = e.reason;
    }
  }
  return view && { order: toApiOrder(view, reason), fills };
}

/** The id of the order a place command created (its OrderAccepted event). */
export function acceptedOrderId(events: readonly CoreEvent[]): string | undefined {
  for (const e of events) if (e.type === 'OrderAccepted') return e.order.orderId;
  return undefined;
}

/** Orders canceled by a command (cancel-all, kill switch), in event order. */
export function canceledOrders(events: readonly CoreEvent[]): ApiOrder[] {
  const out: ApiOrder[] = [];
  for (const e of events) if (e.type === 'OrderCanceled') out.push(toApiOrder(e.order, e.reason));
  return out;
}
