/**
 * The core's mutable state records. All amounts are exact counts of the smallest unit of their
 * scale: base quantities at the base asset's decimals, prices and quote amounts at the quote
 * asset's decimals. Orders' and book levels' prices and quantities are `Units` (numbers where
 * they fit, units.ts); balances, positions, holds, fees and other products of them are bigint.
 */
import type { CancelReason, InstrumentStatus, OrderStatus, OrderType, Side, StpMode, TimeInForce } from './api.js';
import { BookSide, type BookNode as BookNodeOf, type PriceLevel as PriceLevelOf } from './book.js';
import { MarketData } from './market-data.js';
import { LiveOrders } from './live-orders.js';
import { BandBounds } from './price-band.js';
import { StopBook } from './stop-book.js';
import { big, mulDivNumber, units, type Units } from './units.js';

export interface AssetInfo { readonly asset: string; readonly decimals: number }

export class Balance {
  total = 0n;
  hold = 0n;
  constructor(readonly asset: AssetInfo) {}
}

/** Net position from trading: `cost` is the quote paid (long) or received (short) for the open quantity. */
export class Position {
  net = 0n;
  cost = 0n;
  realized = 0n;
  constructor(readonly symbol: string) {}
}

export class Account {
  killSwitch = false;
  /** max(maker, taker, 0) in bps: the highest rate a buy order can be charged, used for its hold. */
  holdBps: bigint;
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
    this.holdBps = BigInt(Math.max(makerBps, takerBps, 0));
  }

  setFees(makerBps: number, takerBps: number): void {
    this.makerBps = makerBps;
    this.takerBps = takerBps;
    this.makerBpsBig = BigInt(makerBps);
    this.takerBpsBig = BigInt(takerBps);
    this.holdBps = BigInt(Math.max(makerBps, takerBps, 0));
  }
}

export class Instrument {
  readonly bids = new BookSide<Units>(true);
  readonly asks = new BookSide<Units>(false);
  /** Untriggered stop and stop-limit orders (not in the book). */
  readonly stops = new StopBook();
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
  ) {
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
  filledQuote = 0n;
  /** Signed running fee numerator, see fees.ts. */
  feeNumerator = 0n;
  /** What this order currently holds: quote for a buy, base for a sell. */
  held = 0n;
  status: OrderStatus = 'new';
  /** Set when the order ends canceled or expired. */
  cancelReason: CancelReason | undefined;
  priceText: string | undefined;
  /** The OTC quote this order executed (quotes.ts), if any. */
  quoteId: string | undefined;
  /** Stop and stop-limit orders: the last trade price that triggers them (null for other types). */
  stopPrice: Units | null = null;
  stopPriceText: string | undefined;
  /** Stop orders: set once triggered (then the order is a market or limit order in the book). */
  triggeredAt: number | undefined;
  /** Untriggered stops: the time that breaks ties at one stop price (the seq of its placement or of its last repricing amend). */
  stopTime = 0;

  constructor(
    readonly id: number,
    readonly account: Account,
    public clientOrderId: string | undefined,
    readonly inst: Instrument,
    readonly side: Side,
    readonly orderType: OrderType,
    readonly timeInForce: TimeInForce,
    readonly postOnly: boolean,
    readonly stp: StpMode,
    /** Limit price; for a market order the cap (buy) or floor (sell) it may trade to, 0 if none. */
    public price: Units,
    /** Total base quantity (null for a market buy by quote amount). */
    public quantity: Units | null,
    readonly quoteQuantity: bigint | null,
    /** Open base quantity (0 for a market buy by quote amount, which tracks its budget in `held`). */
    public remaining: Units,
    readonly expireAt: number | undefined,
    readonly createdAt: number,
    public updatedAt: number,
  ) {}

  get idText(): string {
    if (this.idTextCache === undefined) this.idTextCache = String(this.id);
    return this.idTextCache;
  }

  get isBuy(): boolean {
    return this.side === 'buy';
  }

  /** A stop or stop-limit order still waiting for its stop price (not in the book). */
  get untriggered(): boolean {
    return this.stopPrice !== null && this.triggeredAt === undefined;
  }

  /** Trades without a limit of its own: a market order, or a stop order once triggered. */
  get marketLike(): boolean {
    return this.orderType === 'market' || this.orderType === 'stop';
  }
}

/** The core's book records: prices and quantities in `Units`. */
export type BookNode = BookNodeOf<Units>;
export type PriceLevel = PriceLevelOf<Units>;
export { BookSide };
