/**
 * Builds the bodies of outbound application messages (ExecutionReport, OrderCancelReject,
 * OrderMassCancelReport) from the core's order views and reject codes. Amounts are the core's
 * decimal strings, passed through untouched.
 */
import type { OrderStatus, OrderType, OrderView, Side, TimeInForce } from '../../core/api.js';
import type { RefusalCode } from '../../order-entry/outcomes.js';
import { FieldsBuilder, type EncodedFields, type Field } from './codec.js';
import { Tag } from './tags.js';
import { formatUtcTimestamp } from './time.js';

export const ExecType = { New: '0', Canceled: '4', Replaced: '5', Rejected: '8', Expired: 'C', Trade: 'F', OrderStatus: 'I', Triggered: 'L' } as const;

/** OrdType(40): 1 market, 2 limit, 3 stop, 4 stop-limit. */
const ORD_TYPE_TO_FIX: Readonly<Record<OrderType, string>> = { market: '1', limit: '2', stop: '3', stop_limit: '4' };
export const ordTypeToFix = (type: OrderType): string => ORD_TYPE_TO_FIX[type];
export const ORD_TYPE_FROM_FIX: Readonly<Record<string, OrderType>> = { '1': 'market', '2': 'limit', '3': 'stop', '4': 'stop_limit' };

const ORD_STATUS: Record<OrderStatus, string> = {
  new: '0',
  partially_filled: '1',
  filled: '2',
  canceled: '4',
  expired: 'C',
  rejected: '8',
};

export const ordStatus = (status: OrderStatus): string => ORD_STATUS[status];

export const sideToFix = (side: Side): string => (side === 'buy' ? '1' : '2');
export const sideFromFix = (side: string): Side => (side === '1' ? 'buy' : 'sell');

const TIF_TO_FIX: Record<TimeInForce, string> = { GTC: '1', IOC: '3', FOK: '4', GTD: '6' };
export const TIF_FROM_FIX: Readonly<Record<string, TimeInForce>> = { '1': 'GTC', '3': 'IOC', '4': 'FOK', '6': 'GTD' };

/** OrdRejReason(103) for each refusal code; the code itself goes into Text. */
const ORD_REJ_REASON: Partial<Record<RefusalCode, string>> = {
  UNKNOWN_ACCOUNT: '15',
  UNKNOWN_SYMBOL: '1',
  INVALID_INSTRUMENT: '1',
  INSTRUMENT_HALTED: '2',
  INSTRUMENT_CANCEL_ONLY: '2',
  INSUFFICIENT_FUNDS: '3',
  TOO_MANY_OPEN_ORDERS: '3',
  KILL_SWITCH_ACTIVE: '0',
  INVALID_QUANTITY: '13',
  QUANTITY_OFF_LOT: '13',
  QUANTITY_TOO_SMALL: '13',
  QUANTITY_TOO_LARGE: '13',
  DUPLICATE_CLIENT_ORDER_ID: '6',
  ORDER_NOT_FOUND: '5',
  INSTRUMENT_POST_ONLY: '11',
  POST_ONLY_WOULD_CROSS: '11',
  FOK_NOT_FILLABLE: '11',
  INVALID_EXPIRY: '11',
  INVALID_ORDER: '11',
  STOP_PRICE_REQUIRED: '11',
  // A stop price that would trigger at once: Other, with STOP_PRICE_WRONG_SIDE in Text.
  STOP_PRICE_WRONG_SIDE: '99',
  // Over the account's order-rate budget: Other, with RATE_LIMITED in Text.
  RATE_LIMITED: '99',
  // A quote accepted after its validUntil, or already executed, declined or withdrawn: too late.
  QUOTE_EXPIRED: '4',
  QUOTE_NOT_OPEN: '4',
  JOURNAL_UNAVAILABLE: '0',
  SERVICE_UNAVAILABLE: '0',
};

export const ordRejReason = (code: RefusalCode | 'UNAVAILABLE'): string => (code === 'UNAVAILABLE' ? '0' : ORD_REJ_REASON[code] ?? '99');

/** CxlRejReason(102): 1 unknown order, 6 duplicate ClOrdID, 2 exchange option, 99 other. */
export function cxlRejReason(code: RefusalCode | 'UNAVAILABLE'): string {
  if (code === 'ORDER_NOT_FOUND') return '1';
  if (code === 'DUPLICATE_CLIENT_ORDER_ID') return '6';
  if (code === 'UNAVAILABLE' || code === 'JOURNAL_UNAVAILABLE' || code === 'SERVICE_UNAVAILABLE' || code === 'KILL_SWITCH_ACTIVE' || code === 'INSTRUMENT_HALTED') return '2';
  return '99';
}

export interface ExecutionDetails {
  execId: string;
  execType: string;
  transactTime: number;
  /** Defaults to the order's current ClOrdID. */
  clOrdId?: string | undefined;
  origClOrdId?: string | undefined;
  lastQty?: string;
  lastPx?: string;
  /** LastLiquidityInd for book fills; an OTC quote fill (`rfq`) carries none. */
  liquidity?: 'maker' | 'taker' | 'rfq';
  tradeId?: number;
  fee?: string;
  feeAsset?: string;
  text?: string;
}

/** Reused for every report: a report's fields go straight into wire form, without a tuple each. */
const builder = new FieldsBuilder();

export function executionReport(order: OrderView, x: ExecutionDetails): EncodedFields {
  const f = builder;
  f.add(Tag.OrderID, order.orderId);
  const clOrdId = x.clOrdId ?? order.clientOrderId;
  if (clOrdId !== undefined) f.add(Tag.ClOrdID, clOrdId);
  if (x.origClOrdId !== undefined) f.add(Tag.OrigClOrdID, x.origClOrdId);
  f.add(Tag.ExecID, x.execId).add(Tag.ExecType, x.execType).add(Tag.OrdStatus, ordStatus(order.status));
  f.add(Tag.Account, order.accountId).add(Tag.Symbol, order.symbol).add(Tag.Side, sideToFix(order.side));
  if (order.quantity !== undefined) f.add(Tag.OrderQty, order.quantity);
  if (order.quoteQuantity !== undefined) f.add(Tag.CashOrderQty, order.quoteQuantity);
  // An order that took an OTC quote is reported as previously quoted (D).
  f.add(Tag.OrdType, order.quoteId !== undefined ? 'D' : ordTypeToFix(order.orderType));
  if (order.price !== undefined) f.add(Tag.Price, order.price);
  if (order.stopPrice !== undefined) f.add(Tag.StopPx, order.stopPrice);
  if (order.postOnly) f.add(Tag.ExecInst, '6');
  f.add(Tag.TimeInForce, TIF_TO_FIX[order.timeInForce]);
  if (order.expireAt !== undefined) f.add(Tag.ExpireTime, formatUtcTimestamp(order.expireAt));
  if (x.lastQty !== undefined) f.add(Tag.LastQty, x.lastQty);
  if (x.lastPx !== undefined) f.add(Tag.LastPx, x.lastPx);
  if (x.liquidity === 'maker' || x.liquidity === 'taker') f.add(Tag.LastLiquidityInd, x.liquidity === 'maker' ? '1' : '2');
  if (x.tradeId !== undefined) f.add(Tag.SecondaryExecID, String(x.tradeId));
  f.add(Tag.LeavesQty, order.remainingQuantity).add(Tag.CumQty, order.filledQuantity).add(Tag.AvgPx, order.averagePrice ?? '0');
  f.add(Tag.TransactTime, formatUtcTimestamp(x.transactTime));
  if (x.fee !== undefined) {
    f.add(Tag.Commission, x.fee).add(Tag.CommType, '3');
    if (x.feeAsset !== undefined) f.add(Tag.CommCurrency, x.feeAsset);
  }
  if (x.text !== undefined) f.add(Tag.Text, x.text);
  return f.take();
}

/** An ExecutionReport for an order the core never accepted (no OrderID yet). */
export function rejectedOrderReport(r: {
  execId: string; clOrdId: string; accountId: string; symbol: string; side: string; ordRejReason: string; text: string; transactTime: number; execType?: string;
}): Field[] {
  return [
    [Tag.OrderID, 'NONE'],
    [Tag.ClOrdID, r.clOrdId],
    [Tag.ExecID, r.execId],
    [Tag.ExecType, r.execType ?? ExecType.Rejected],
    [Tag.OrdStatus, '8'],
    [Tag.OrdRejReason, r.ordRejReason],
    [Tag.Account, r.accountId],
    [Tag.Symbol, r.symbol],
    [Tag.Side, r.side],
    [Tag.LeavesQty, '0'],
    [Tag.CumQty, '0'],
    [Tag.AvgPx, '0'],
    [Tag.TransactTime, formatUtcTimestamp(r.transactTime)],
    [Tag.Text, r.text],
  ];
}

export function orderCancelReject(r: {
  orderId: string; clOrdId: string; origClOrdId: string; ordStatus: string; accountId: string; responseTo: 'cancel' | 'replace'; reason: string; text: string; transactTime: number;
}): Field[] {
  return [
    [Tag.OrderID, r.orderId],
    [Tag.ClOrdID, r.clOrdId],
    [Tag.OrigClOrdID, r.origClOrdId],
    [Tag.OrdStatus, r.ordStatus],
    [Tag.Account, r.accountId],
    [Tag.TransactTime, formatUtcTimestamp(r.transactTime)],
    [Tag.CxlRejResponseTo, r.responseTo === 'cancel' ? '1' : '2'],
    [Tag.CxlRejReason, r.reason],
    [Tag.Text, r.text],
  ];
}

/** FIX decimals as the core wants them: "1." becomes "1", ".5" becomes "0.5"; digits are never re-rounded. */
export function normalizeDecimal(value: string): string {
  let v = value;
  if (v.endsWith('.')) v = v.slice(0, -1);
  if (v.startsWith('.')) v = '0' + v;
  else if (v.startsWith('-.')) v = '-0' + v.slice(1);
  return v;
}

/** Compares two decimal strings for numeric equality without floating point. */
export function sameDecimal(a: string, b: string): boolean {
  const canon = (s: string): string => {
    const n = normalizeDecimal(s);
    const [int = '0', frac = ''] = n.split('.');
    const i = int.replace(/^(-?)0+(?=\d)/, '$1');
    const f = frac.replace(/0+$/, '');
    return f ? `${i}.${f}` : i;
  };
  return canon(a) === canon(b);
}
