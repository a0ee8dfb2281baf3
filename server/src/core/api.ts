/**
 * The trading core's public contract: the commands that go in and the events that come out.
 *
 * Everything here is plain JSON-serialisable data (amounts are decimal strings, times are
 * integer milliseconds since the Unix epoch), so a command or an event can be journaled,
 * replayed, or sent across a process boundary unchanged. Nothing in this folder does I/O or
 * reads a clock: the time arrives with each command in its envelope.
 */

import type { QuoteCommand, QuoteEvent, QuoteView } from './quote-api.js';

export type * from './quote-api.js';

/** A decimal number written as a string, e.g. "0.015". Never a JSON number. */
export type Decimal = string;
/** Integer milliseconds since the Unix epoch, supplied by the sequencer, never read by the core. */
export type Millis = number;

export type Side = 'buy' | 'sell';
/**
 * `stop` and `stop_limit` wait, untriggered, until the instrument's last trade price reaches
 * their `stopPrice`; then they enter the book as a market or a limit order (trading-rules.md).
 */
export type OrderType = 'limit' | 'market' | 'stop' | 'stop_limit';
/** Where a stop or stop-limit order stands: waiting for its stop price, or in the book since. */
export type TriggerState = 'untriggered' | 'triggered';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'GTD';
export type InstrumentStatus = 'open' | 'halted' | 'cancel_only' | 'post_only';
/** Self-trade prevention: what happens when an order would match another order of the same account. */
export type StpMode = 'cancel_newest' | 'cancel_oldest' | 'cancel_both' | 'decrement_and_cancel';
export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'canceled' | 'expired' | 'rejected';
export type CancelReason = 'user' | 'ioc_remainder' | 'fok_unfilled' | 'stp' | 'expired' | 'mass_cancel' | 'kill_switch' | 'post_only_would_cross' | 'market_no_liquidity' | 'price_band';
/** `rfq`: both sides of an executed OTC quote (no book involved). */
export type Liquidity = 'maker' | 'taker' | 'rfq';

export interface AssetSpec {
  asset: string;
  /** Number of decimal places the ledger keeps for this asset (its fixed-point scale). */
  decimals: number;
}

export interface InstrumentSpec {
  symbol: string;
  base: string;
  quote: string;
  tickSize: Decimal;
  lotSize: Decimal;
  minQuantity: Decimal;
  maxQuantity: Decimal;
  minNotional: Decimal;
  /** Maximum distance from the reference price (last trade, else mid) in basis points. */
  priceBandBps: number;
  status: InstrumentStatus;
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

export interface AddAsset { type: 'AddAsset'; spec: AssetSpec }
export interface AddInstrument { type: 'AddInstrument'; spec: InstrumentSpec }
export interface SetInstrumentStatus { type: 'SetInstrumentStatus'; symbol: string; status: InstrumentStatus }
export interface CreateAccount { type: 'CreateAccount'; accountId: string; maxOpenOrders?: number }
export interface SetFeeSchedule { type: 'SetFeeSchedule'; accountId: string; makerBps: number; takerBps: number }
export interface Deposit { type: 'Deposit'; accountId: string; asset: string; amount: Decimal; reference?: string }
export interface Withdraw { type: 'Withdraw'; accountId: string; asset: string; amount: Decimal; reference?: string }
/** Blocks (active) or unblocks new orders for an account; activating also cancels all its orders. */
export interface SetKillSwitch { type: 'SetKillSwitch'; accountId: string; active: boolean }

export interface PlaceOrder {
  type: 'PlaceOrder';
  accountId: string;
  symbol: string;
  clientOrderId?: string;
  side: Side;
  orderType: OrderType;
  /** Required for limit and stop-limit orders. */
  price?: Decimal;
  /** Required for stop and stop-limit orders: the last trade price that triggers them. */
  stopPrice?: Decimal;
  /** Base quantity. Required except for a market buy by quote amount. */
  quantity?: Decimal;
  /** Market or stop buy only: spend at most this much quote (fees included in the hold). */
  quoteQuantity?: Decimal;
  timeInForce: TimeInForce;
  /** Required for GTD. */
  expireAt?: Millis;
  postOnly?: boolean;
  stp?: StpMode;
}

/** Identifies one of the account's orders, by the core's id or by the client's id. */
export type OrderRef = { orderId: string; clientOrderId?: undefined } | { clientOrderId: string; orderId?: undefined };

export type AmendOrder = {
  type: 'AmendOrder'; accountId: string; newPrice?: Decimal; newQuantity?: Decimal; newClientOrderId?: string;
  /** Untriggered stop and stop-limit orders only. */
  newStopPrice?: Decimal;
} & OrderRef;
export type CancelOrder = { type: 'CancelOrder'; accountId: string } & OrderRef;
export interface CancelAll { type: 'CancelAll'; accountId: string; symbol?: string }
/** Time passes: expires every GTD order whose expireAt <= the envelope's ts. */
export interface ExpireOrders { type: 'ExpireOrders' }

export type Command =
  | AddAsset | AddInstrument | SetInstrumentStatus | CreateAccount | SetFeeSchedule
  | Deposit | Withdraw | SetKillSwitch
  | PlaceOrder | AmendOrder | CancelOrder | CancelAll | ExpireOrders
  | QuoteCommand;

/** What the sequencer hands the core: the command plus the time it was accepted. */
export interface CommandEnvelope { ts: Millis; command: Command }

// ---------------------------------------------------------------------------------------------
// Reject codes: stable, machine-readable; gateways map them to HTTP problems, WS error frames,
// FIX OrdRejReason/CxlRejReason. Never rename one; add new ones.
// ---------------------------------------------------------------------------------------------

export const REJECT_CODES = [
  'UNKNOWN_ACCOUNT', 'ACCOUNT_EXISTS', 'UNKNOWN_ASSET', 'ASSET_EXISTS', 'UNKNOWN_SYMBOL', 'SYMBOL_EXISTS',
  'INVALID_INSTRUMENT', 'INVALID_AMOUNT', 'INSUFFICIENT_FUNDS',
  'INSTRUMENT_HALTED', 'INSTRUMENT_CANCEL_ONLY', 'INSTRUMENT_POST_ONLY',
  'INVALID_ORDER', 'INVALID_PRICE', 'INVALID_QUANTITY', 'PRICE_OFF_TICK', 'QUANTITY_OFF_LOT',
  'QUANTITY_TOO_SMALL', 'QUANTITY_TOO_LARGE', 'NOTIONAL_TOO_SMALL', 'PRICE_OUTSIDE_BAND',
  'INVALID_EXPIRY', 'DUPLICATE_CLIENT_ORDER_ID', 'TOO_MANY_OPEN_ORDERS', 'KILL_SWITCH_ACTIVE',
  'POST_ONLY_WOULD_CROSS', 'FOK_NOT_FILLABLE', 'NO_LIQUIDITY',
  'ORDER_NOT_FOUND', 'AMEND_NO_CHANGE', 'INVALID_FEE_SCHEDULE',
  // Added: a command whose shape is invalid (missing/ill-typed field, unknown command type).
  'INVALID_COMMAND',
  // Added: OTC quotes (quotes.ts).
  'QUOTE_NOT_FOUND', 'QUOTE_EXPIRED', 'QUOTE_NOT_OPEN', 'QUOTE_MISMATCH', 'QUOTE_UNAVAILABLE', 'INVALID_QUOTE',
  // Added: stop and stop-limit orders (stops.ts).
  'STOP_PRICE_REQUIRED', 'STOP_PRICE_WRONG_SIDE',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

// ---------------------------------------------------------------------------------------------
// Events. Every event carries the global sequence `seq` (strictly +1 per event) and the `ts` of
// the command that caused it; book events also carry the per-instrument `bookSeq`.
// ---------------------------------------------------------------------------------------------

interface EventBase { seq: number; ts: Millis }

/** A full view of one order, attached to every order event so consumers need no other state. */
export interface OrderView {
  orderId: string;
  clientOrderId?: string;
  accountId: string;
  symbol: string;
  side: Side;
  orderType: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  stp: StpMode;
  price?: Decimal;
  /** Stop and stop-limit orders: the last trade price that triggers them. */
  stopPrice?: Decimal;
  /** Stop and stop-limit orders: untriggered (waiting, not in the book) or triggered. */
  triggerState?: TriggerState;
  /** When a stop or stop-limit order triggered: its time in the book starts here. */
  triggeredAt?: Millis;
  /** Set on the orders an executed OTC quote creates (one per side). */
  quoteId?: string;
  /** Original (or amended) base quantity; absent for a market buy by quote amount. */
  quantity?: Decimal;
  quoteQuantity?: Decimal;
  filledQuantity: Decimal;
  /** Remaining open quantity (0 once the order is done). */
  remainingQuantity: Decimal;
  /** Sum of price × quantity over fills, in quote. */
  filledQuote: Decimal;
  /** filledQuote / filledQuantity, exact division truncated to the quote scale; absent before the first fill. */
  averagePrice?: Decimal;
  status: OrderStatus;
  /** Why the order ended without filling (status canceled or expired). */
  cancelReason?: CancelReason;
  expireAt?: Millis;
  createdAt: Millis;
  updatedAt: Millis;
}

export interface OrderAccepted extends EventBase { type: 'OrderAccepted'; order: OrderView }
/** An order command (place) that failed validation or risk. No order id is consumed. */
export interface OrderRejected extends EventBase {
  type: 'OrderRejected'; accountId: string; symbol?: string; clientOrderId?: string;
  /** The order's side, when the command had a valid one (drop copies need it). */
  side?: Side;
  code: RejectCode; message: string;
}
export interface OrderAmended extends EventBase { type: 'OrderAmended'; order: OrderView; priorityKept: boolean }
/** A stop or stop-limit order's stop price was reached: it enters the book now (its fills, or its rest, follow). */
export interface OrderTriggered extends EventBase { type: 'OrderTriggered'; order: OrderView }
export interface OrderCanceled extends EventBase { type: 'OrderCanceled'; order: OrderView; reason: CancelReason }
/** One per side per trade. */
export interface OrderFilled extends EventBase {
  type: 'OrderFilled'; order: OrderView; tradeId: number; price: Decimal; quantity: Decimal;
  liquidity: Liquidity; fee: Decimal; feeAsset: string;
}
export interface TradePrinted extends EventBase {
  type: 'TradePrinted'; symbol: string; tradeId: number; price: Decimal; quantity: Decimal;
  /** The taker's side. */
  takerSide: Side; makerOrderId: string; takerOrderId: string;
}
export interface BalanceChanged extends EventBase {
  type: 'BalanceChanged'; accountId: string; asset: string; total: Decimal; available: Decimal; hold: Decimal;
  reason: 'deposit' | 'withdrawal' | 'order_hold' | 'order_release' | 'trade' | 'fee';
}
export interface PositionChanged extends EventBase {
  type: 'PositionChanged'; accountId: string; symbol: string; netQuantity: Decimal; averageEntryPrice: Decimal; realizedPnl: Decimal;
}
/** An L2 delta: the new aggregate quantity at a price level ("0" removes the level). */
export interface BookLevelChanged extends EventBase {
  type: 'BookLevelChanged'; symbol: string; bookSeq: number; side: Side; price: Decimal; quantity: Decimal;
}
/** A non-order command (amend, cancel, admin) that was refused. */
export interface CommandRejected extends EventBase {
  type: 'CommandRejected'; commandType: Command['type']; accountId?: string; code: RejectCode; message: string;
  /** For AmendOrder/CancelOrder: the reference the client used. */
  orderId?: string; clientOrderId?: string;
}
/** Admin state changes, so that every change of state is visible as an event. */
export interface AdminApplied extends EventBase { type: 'AdminApplied'; command: Command }

export type CoreEvent =
  | OrderAccepted | OrderRejected | OrderAmended | OrderTriggered | OrderCanceled | OrderFilled | TradePrinted
  | BalanceChanged | PositionChanged | BookLevelChanged | CommandRejected | AdminApplied
  | QuoteEvent;

/** What applying one command produced. `ok` is false iff the command was rejected. */
export type CommandResult =
  | { ok: true; events: CoreEvent[] }
  | { ok: false; code: RejectCode; message: string; details?: RejectDetails; events: CoreEvent[] };

/**
 * Figures that make a rejection actionable (decimal strings), returned with the result only:
 * `INSUFFICIENT_FUNDS` gives `asset`, `required`, `available`; `PRICE_OUTSIDE_BAND` gives
 * `referencePrice`, `minPrice`, `maxPrice`.
 */
export type RejectDetails = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Read side (queries answered from the core's in-memory state, at its current sequence)
// ---------------------------------------------------------------------------------------------

export interface BookLevel { price: Decimal; quantity: Decimal; orders: number }
export interface BookSnapshot { symbol: string; seq: number; bookSeq: number; bids: BookLevel[]; asks: BookLevel[] }
export interface BalanceView { asset: string; total: Decimal; available: Decimal; hold: Decimal }
export interface PositionView {
  symbol: string; netQuantity: Decimal; averageEntryPrice: Decimal; realizedPnl: Decimal;
  /** The instrument's last trade price; absent before its first trade. */
  lastPrice?: Decimal;
  /** What closing the open quantity at `lastPrice` would realize (before fees); absent without a last price. */
  unrealizedPnl?: Decimal;
}
export interface TickerView {
  symbol: string; open: Decimal; high: Decimal; low: Decimal; last: Decimal; volume: Decimal; quoteVolume: Decimal;
  bestBid?: Decimal; bestAsk?: Decimal; tradeCount: number; windowStart: Millis; windowEnd: Millis;
}
export type CandleInterval = '1m' | '5m' | '15m' | '1h' | '4h' | '1d';
export interface Candle { start: Millis; open: Decimal; high: Decimal; low: Decimal; close: Decimal; volume: Decimal; quoteVolume: Decimal; trades: number }
export interface TradeView { tradeId: number; price: Decimal; quantity: Decimal; takerSide: Side; ts: Millis }
/** A page of open orders: those with an id above `afterOrderId` (an order id), at most `limit`. */
export interface OpenOrdersPage { afterOrderId?: string; limit?: number }

export interface AccountView { accountId: string; makerBps: number; takerBps: number; maxOpenOrders: number; openOrders: number; killSwitch: boolean; otcBps: number }

/** The core's queries: all that gateways see of it (`CommandBus.core`); commands go through `CommandBus.submit`. */
export interface CoreView {
  /** The last sequence number assigned (0 before any event). */
  readonly seq: number;
  instruments(): InstrumentSpec[];
  assets(): AssetSpec[];
  /** Aggregated L2 levels, best price first on both sides; `depth` levels per side (default: all). */
  book(symbol: string, depth?: number): BookSnapshot | undefined;
  /** A live order by id or client id, or a recently finished one by id (bounded retention). */
  order(accountId: string, ref: OrderRef): OrderView | undefined;
  /** Live orders in ascending order id; with `page`, only those after `afterOrderId`, at most `limit` of them. */
  openOrders(accountId: string, symbol?: string, page?: OpenOrdersPage): OrderView[];
  balances(accountId: string): BalanceView[] | undefined;
  positions(accountId: string): PositionView[] | undefined;
  account(accountId: string): AccountView | undefined;
  /** Newest first, at most `limit` (bounded retention). */
  recentTrades(symbol: string, limit: number): TradeView[];
  /** Rolling 24h by minute buckets, ending with the minute that holds `now`. */
  ticker(symbol: string, now: Millis): TickerView | undefined;
  /** Candles whose start is in [start, end), ascending; intervals without trades are absent. */
  candles(symbol: string, interval: CandleInterval, start: Millis, end: Millis): Candle[];
  /** A quote of the account: open, or recently closed (bounded retention). */
  quote(accountId: string, quoteId: string): QuoteView | undefined;
  /** Quotes still open (not yet closed by a command), oldest first; all accounts when none is given. */
  openQuotes(accountId?: string): QuoteView[];
  /**
   * The earliest `expireAt` of a live GTD order, if any: the sequencer submits `ExpireOrders`
   * once its clock reaches it. Optional so that other cores (tests) need not expire anything.
   */
  nextExpiry?(): Millis | undefined;
}

/**
 * The events of one command in the core's compact form: ids and integer amounts, read by index
 * (0 <= i < length) without building the public event; `view(i)` builds it (decimal strings).
 * Valid only until the core applies its next command.
 */
export interface CompactEvents {
  readonly length: number;
  type(i: number): CoreEvent['type'];
  seq(i: number): number;
  /** Order events only (OrderAccepted, OrderAmended, OrderTriggered, OrderCanceled, OrderFilled). */
  orderId(i: number): number;
  accountId(i: number): string;
  symbol(i: number): string;
  side(i: number): Side;
  orderType(i: number): OrderType;
  timeInForce(i: number): TimeInForce;
  /** The order's limit price in units of the quote asset's scale (0n for a market order). */
  orderPrice(i: number): bigint;
  /** The order's open quantity in units of the base asset's scale, and its status, at the event. */
  orderRemaining(i: number): bigint;
  orderStatus(i: number): OrderStatus;
  /**
   * BookLevelChanged only: the level's symbol, side, price (its decimal text, as in the event)
   * and total quantity in units of the base asset's scale (0n: the level is gone). Enough to keep
   * a book's levels, or its touch, from the events alone.
   */
  levelSymbol(i: number): string;
  levelSide(i: number): Side;
  levelPrice(i: number): Decimal;
  levelQuantity(i: number): bigint;
  /** BalanceChanged only: its reason (whoever keeps only some balance changes can skip the rest unformatted). */
  balanceReason(i: number): BalanceChanged['reason'];
  /** Event i exactly as `apply` returns it. */
  view(i: number): CoreEvent;
  /** All of them as `apply` returns them. */
  views(): CoreEvent[];
}

/** What `execute` returns: the outcome and the compact events. One object, reused by the next command. */
export interface ExecutedCommand {
  ok: boolean;
  /** Set when `ok` is false, as in CommandResult. */
  code: RejectCode | undefined;
  message: string | undefined;
  details: RejectDetails | undefined;
  readonly events: CompactEvents;
}

/** The engine as the sequencer sees it: the queries, plus applying commands and taking snapshots. */
export interface TradingCore extends CoreView {
  /** Applies one command at the envelope's time. Deterministic: same state + same envelope = same result. */
  apply(envelope: CommandEnvelope): CommandResult;
  /**
   * Applies one command as `apply` does, and returns its events compactly, formatting nothing:
   * for callers that read few events or none (replay, benchmarks). Optional for other cores.
   */
  execute?(envelope: CommandEnvelope): ExecutedCommand;
  snapshot(): CoreSnapshot;
  /**
   * The same state in a binary layout that is faster to write and to restore (what snapshot
   * files hold). Optional: a core without it is snapshotted as JSON.
   */
  snapshotBinary?(): BinaryCoreSnapshot;
}

/** The whole state as JSON-safe data; `restoreCore(snapshot)` gives a core that behaves identically. */
export interface CoreSnapshot { version: 1; seq: number; state: unknown }

/** The whole state as bytes, opaque outside the core that wrote them; `restoreCore` accepts it too. */
export interface BinaryCoreSnapshot { version: 2; seq: number; bytes: Uint8Array }
