/**
 * The core's mutable state records. All amounts are exact counts of the smallest unit of their
 * scale: base quantities at the base asset's decimals, prices and quote amounts at the quote
 * asset's decimals. Orders' and book levels' prices and quantities are `Units` (numbers where
 * they fit, units.ts), and so are balances, holds, fees and an order's filled quote and fee
 * numerator (a fresh bigint written into a long-lived record is what the young-generation
 * collector must visit); positions and the products inside a computation are bigint.
 */
import type { CancelReason, InstrumentStatus, OrderStatus, OrderType, Side, StpMode, TimeInForce } from './api.js';
import { BookSide, type BookNode as BookNodeOf, type PriceLevel as PriceLevelOf } from './book.js';
import { MarketData } from './market-data.js';
import { LiveOrders } from './live-orders.js';
import { BandBounds } from './price-band.js';
import { StopBook, type WaitingStops } from './stop-book.js';
import { big, mulDivNumber, units, type Units } from './units.js';

export interface AssetInfo { readonly asset: string; readonly decimals: number }

/** An account's balance of one asset, in `Units`: numbers where they fit, as order amounts are. */
export class Balance {
  total: Units = 0;
  hold: Units = 0;
  constructor(readonly asset: AssetInfo) {}
}

/** Net position from trading: `cost` is the quote paid (long) or received (short) for the open quantity. */
export class Position {
  net: Units = 0;
  cost: Units = 0;
  realized: Units = 0;
  constructor(readonly symbol: string) {}
}

export class Account {
  killSwitch = false;
  /** max(maker, taker, 0) in bps: the highest rate a buy order can be charged, used for its hold. */
  holdBps: number;
  readonly balances = new Map<string, Balance>();
  readonly positions = new Map<string, Position>();
  /** Live orders in ascending id order (by id: the core's order table). */
  readonly orders = new LiveOrders();
  readonly byClientId = new Map<string, Order>();
  makerBpsBig: bigint;
  takerBpsBig: bigint;
  /** Fee on OTC quote trades, bps of the notional (quotes.ts). */
  otcBps = 0;

  constructor(readonly id: string, public makerBps: number, public takerBps: number, public maxOpenOrders: number) {
    this.makerBpsBig = BigInt(makerBps);
    this.takerBpsBig = BigInt(takerBps);
    this.holdBps = Math.max(makerBps, takerBps, 0);
  }

  setFees(makerBps: number, takerBps: number): void {
    this.makerBps = makerBps;
    this.takerBps = takerBps;
    this.makerBpsBig = BigInt(makerBps);
    this.takerBpsBig = BigInt(takerBps);
    this.holdBps = Math.max(makerBps, takerBps, 0);
  }
}

export class Instrument {
  readonly bids = new BookSide<Units>(true);
  readonly asks = new BookSide<Units>(false);
  /** Untriggered stop and stop-limit orders (not in the book). */
  readonly stops: StopBook;
  tradeSeq = 0;
  bookSeq = 0;
  readonly md: MarketData;
  /** The price band's bounds for the current reference price (price-band.ts). */
  readonly band = new BandBounds();
  /** 10^baseDecimals: notional = price × quantity / baseUnit, exact by the tick/lot rule. */
  readonly baseUnit: bigint;
  /** baseUnit as a number when it is a safe integer (0 otherwise: notionals take bigint). */
  private readonly baseUnitNumber: number;
  /** tick, lot, minQuantity and maxQuantity as `Units`, for the checks of each order's price and quantity. */
  readonly tickUnits: Units;
  readonly lotUnits: Units;
  readonly minQuantityUnits: Units;
  readonly maxQuantityUnits: Units;

  constructor(
    readonly symbol: string,
    readonly base: AssetInfo,
    readonly quote: AssetInfo,
    readonly tick: bigint,
    readonly lot: bigint,
    readonly minQuantity: bigint,
    readonly maxQuantity: bigint,
    readonly minNotional: bigint,
    readonly priceBandBps: number,
    public status: InstrumentStatus,
    baseUnit: bigint,
    recentCapacity: number,
    candleRetention: number,
    /** The core's count of waiting stops, kept by this instrument's stop book too. */
    waitingStops?: WaitingStops,
  ) {
    this.stops = new StopBook(waitingStops);
    this.baseUnit = baseUnit;
    this.baseUnitNumber = baseUnit <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(baseUnit) : 0;
    this.tickUnits = units(tick);
    this.lotUnits = units(lot);
    this.minQuantityUnits = units(minQuantity);
    this.maxQuantityUnits = units(maxQuantity);
    this.md = new MarketData(recentCapacity, candleRetention);
  }

  notional(price: Units, quantity: Units): bigint {
    const n = mulDivNumber(price, quantity, this.baseUnitNumber);
    return n !== undefined ? BigInt(n) : (big(price) * big(quantity)) / this.baseUnit;
  }

  /** The same notional as `Units`: a number where it fits, without a bigint for the common case. */
  notionalUnits(price: Units, quantity: Units): Units {
    const n = mulDivNumber(price, quantity, this.baseUnitNumber);
    return n !== undefined ? n : units((big(price) * big(quantity)) / this.baseUnit);
  }
}

/**
 * An order's fields that most orders never set (stop, OTC quote and GTD fields), kept apart so
 * that every order is smaller: each order is copied by the young-generation collector before it
 * settles in the old generation (a resting order, or a finished one kept for lookups, lives
 * long), and that copying is a large part of the core's time.
 */
class OrderExtra {
  quoteQuantity: bigint | null = null;
  expireAt: number | undefined = undefined;
  quoteId: string | undefined = undefined;
  stopPrice: Units | null = null;
  stopPriceText: string | undefined = undefined;
  triggeredAt: number | undefined = undefined;
  stopTime = 0;
}

const SIDES: readonly Side[] = ['buy', 'sell'];
const ORDER_TYPES: readonly OrderType[] = ['limit', 'market', 'stop', 'stop_limit'];
const TIMES_IN_FORCE: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'GTD'];
const STP_MODES: readonly StpMode[] = ['cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'];

/** Index of `value` in `list`: the order's fixed choices are packed in one small integer. */
function codeOf<T>(list: readonly T[], value: T): number {
  const i = list.indexOf(value);
  if (i < 0) throw new RangeError(`unknown order attribute ${String(value)}`);
  return i;
}

export class Order implements BookNode {
  prev: BookNode | null = null;
  next: BookNode | null = null;
  level: PriceLevel | null = null;
  /** Neighbours in the account's live orders (live-orders.ts). */
  liveOlder: Order | null = null;
  liveNewer: Order | null = null;
  /** The id's text, written on first use (most orders are never shown by id). */
  private idTextCache: string | undefined;
  /** Base filled so far. */
  filled: Units = 0;
  /** Quote exchanged so far (Σ price × quantity). */
  filledQuote: Units = 0;
  /** Signed running fee numerator, see fees.ts. */
  feeNumerator: Units = 0;
  /** What this order currently holds: quote for a buy, base for a sell. */
  held: Units = 0;
  status: OrderStatus = 'new';
  /** Set when the order ends canceled or expired. */
  cancelReason: CancelReason | undefined;
  priceText: string | undefined;
  /** side, orderType, timeInForce, stp (2 bits each) and postOnly (bit 8). */
  private readonly attributes: number;
  /** Stop, quote and GTD fields, for the few orders that have any (null for the others). */
  private extra: OrderExtra | null = null;

  constructor(
    readonly id: number,
    readonly account: Account,
    public clientOrderId: string | undefined,
    readonly inst: Instrument,
    side: Side,
    orderType: OrderType,
    timeInForce: TimeInForce,
    postOnly: boolean,
    stp: StpMode,
    /** Limit price; for a market order the cap (buy) or floor (sell) it may trade to, 0 if none. */
    public price: Units,
    /** Total base quantity (null for a market buy by quote amount). */
    public quantity: Units | null,
    quoteQuantity: bigint | null,
    /** Open base quantity (0 for a market buy by quote amount, which tracks its budget in `held`). */
    public remaining: Units,
    expireAt: number | undefined,
    readonly createdAt: number,
    public updatedAt: number,
  ) {
    this.attributes = codeOf(SIDES, side) | (codeOf(ORDER_TYPES, orderType) << 2) | (codeOf(TIMES_IN_FORCE, timeInForce) << 4)
      | (codeOf(STP_MODES, stp) << 6) | (postOnly ? 256 : 0);
    if (quoteQuantity !== null) this.extras().quoteQuantity = quoteQuantity;
    if (expireAt !== undefined) this.extras().expireAt = expireAt;
  }

  private extras(): OrderExtra {
    if (this.extra === null) this.extra = new OrderExtra();
    return this.extra;
  }

  get side(): Side {
    return SIDES[this.attributes & 3] as Side;
  }

  get orderType(): OrderType {
    return ORDER_TYPES[(this.attributes >> 2) & 3] as OrderType;
  }

  get timeInForce(): TimeInForce {
    return TIMES_IN_FORCE[(this.attributes >> 4) & 3] as TimeInForce;
  }

  get stp(): StpMode {
    return STP_MODES[(this.attributes >> 6) & 3] as StpMode;
  }

  get postOnly(): boolean {
    return (this.attributes & 256) !== 0;
  }

  get quoteQuantity(): bigint | null {
    return this.extra === null ? null : this.extra.quoteQuantity;
  }

  get expireAt(): number | undefined {
    return this.extra === null ? undefined : this.extra.expireAt;
  }

  /** The OTC quote this order executed (quotes.ts), if any. */
  get quoteId(): string | undefined {
    return this.extra === null ? undefined : this.extra.quoteId;
  }

  set quoteId(v: string | undefined) {
    if (v !== undefined || this.extra !== null) this.extras().quoteId = v;
  }

  /** Stop and stop-limit orders: the last trade price that triggers them (null for other types). */
  get stopPrice(): Units | null {
    return this.extra === null ? null : this.extra.stopPrice;
  }

  set stopPrice(v: Units | null) {
    if (v !== null || this.extra !== null) this.extras().stopPrice = v;
  }

  get stopPriceText(): string | undefined {
    return this.extra === null ? undefined : this.extra.stopPriceText;
  }

  set stopPriceText(v: string | undefined) {
    if (v !== undefined || this.extra !== null) this.extras().stopPriceText = v;
  }

  /** Stop orders: set once triggered (then the order is a market or limit order in the book). */
  get triggeredAt(): number | undefined {
    return this.extra === null ? undefined : this.extra.triggeredAt;
  }

  set triggeredAt(v: number | undefined) {
    if (v !== undefined || this.extra !== null) this.extras().triggeredAt = v;
  }

  /** Untriggered stops: the time that breaks ties at one stop price (the seq of its placement or of its last repricing amend). */
  get stopTime(): number {
    return this.extra === null ? 0 : this.extra.stopTime;
  }

  set stopTime(v: number) {
    if (v !== 0 || this.extra !== null) this.extras().stopTime = v;
  }

  get idText(): string {
    if (this.idTextCache === undefined) this.idTextCache = String(this.id);
    return this.idTextCache;
  }

  get isBuy(): boolean {
    return (this.attributes & 3) === 0;
  }

  /** A stop or stop-limit order still waiting for its stop price (not in the book). */
  get untriggered(): boolean {
    const extra = this.extra;
    return extra !== null && extra.stopPrice !== null && extra.triggeredAt === undefined;
  }

  /** Trades without a limit of its own: a market order, or a stop order once triggered. */
  get marketLike(): boolean {
    const type = (this.attributes >> 2) & 3;
    return type === 1 || type === 2;
  }
}

/** The core's book records: prices and quantities in `Units`. */
export type BookNode = BookNodeOf<Units>;
export type PriceLevel = PriceLevelOf<Units>;
export { BookSide };

/**
 * V8 gives a number field that has held a number beyond a small integer (a time, say) a "double"
 * representation, and then every new object gets a heap number of its own for that field: six
 * per order, each one more object for the young-generation collector to copy, twice, as orders
 * live long. A field that has held a non-number is "tagged" instead: a small integer is kept in
 * place and a larger number is a reference (an order's times share the command's). So, before any
 * real order, one throwaway order holds a bigint in each of those fields (its amounts may be
 * bigints anyway).
 */
function tagOrderFields(): void {
  const o = new Order(0, null as never, undefined, null as never, 'buy', 'limit', 'GTC', false, 'cancel_newest', 0, 0, null, 0, undefined, 0, 0);
  const fields = o as unknown as Record<'filled' | 'filledQuote' | 'feeNumerator' | 'held' | 'createdAt' | 'updatedAt', bigint>;
  fields.filled = 0n;
  fields.filledQuote = 0n;
  fields.feeNumerator = 0n;
  fields.held = 0n;
  fields.createdAt = 0n;
  fields.updatedAt = 0n;
}
tagOrderFields();
