/**
 * The whole core state as plain JSON (bigints as integer strings of their smallest unit), and
 * back. Everything that can influence a later event or query is captured, including the order
 * of every queue, so restore + replay produces byte-identical events.
 */
import type { CancelReason, CandleInterval, CoreSnapshot, InstrumentStatus, OrderStatus, OrderType, Side, StpMode, TimeInForce } from './api.js';
import { makeInstrument } from './admin.js';
import { formatFixed } from './fixed.js';
import { bookSide } from './lifecycle.js';
import { CANDLE_INTERVALS, type CandleRecord } from './market-data.js';
import { PriceLevel as BookLevel, type BookSide } from './book.js';
import { Account, Balance, Order, Position, type AssetInfo, type Instrument, type PriceLevel } from './model.js';
import { quoteBookState, restoreQuoteBook, type QuoteBookState } from './quote-snapshot.js';
import { CoreState, type CoreConfig } from './state.js';
import { units, type Units } from './units.js';

type Int = string;

interface InstrumentState {
  symbol: string; base: string; quote: string; tick: Int; lot: Int; minQuantity: Int; maxQuantity: Int; minNotional: Int;
  priceBandBps: number; status: InstrumentStatus; tradeSeq: number; bookSeq: number; lastPrice: Int | null;
  /** Oldest first: [tradeId, price, quantity, takerSide, ts]. */
  recentTrades: [number, Int, Int, Side, number][];
  /** Per interval, ascending: [start, open, high, low, close, volume, quoteVolume, trades]. */
  candles: Record<CandleInterval, [number, Int, Int, Int, Int, Int, Int, number][]>;
  /** Best level first; each level's order ids in queue order. */
  bids: [Int, number[]][];
  asks: [Int, number[]][];
}

interface AccountState {
  id: string; makerBps: number; takerBps: number; maxOpenOrders: number; killSwitch: boolean;
  /** Absent in snapshots older than OTC quotes (0). */
  otcBps?: number;
  balances: [string, Int, Int][];
  positions: [string, Int, Int, Int][];
}

interface OrderState {
  id: number; accountId: string; clientOrderId: string | null; symbol: string; side: Side; orderType: OrderType;
  timeInForce: TimeInForce; postOnly: boolean; stp: StpMode; price: Int; quantity: Int | null; quoteQuantity: Int | null;
  remaining: Int; filled: Int; filledQuote: Int; feeNumerator: Int; held: Int; status: OrderStatus;
  expireAt: number | null; createdAt: number; updatedAt: number;
  quoteId?: string;
  /** Absent in snapshots written before finished orders kept their reason. */
  cancelReason?: CancelReason;
  /** Stop and stop-limit orders only (absent in snapshots older than stops). */
  stopPrice?: Int;
  stopTime?: number;
  triggeredAt?: number;
}

export interface SnapshotState {
  config: CoreConfig; seq: number; ts: number; clock: number; nextOrderId: number;
  assets: AssetInfo[]; instruments: InstrumentState[]; accounts: AccountState[];
  /** Live orders, ascending id. */
  orders: OrderState[];
  /** Recently finished orders, oldest first. */
  finished: OrderState[];
  /** OTC quotes (absent in snapshots older than quotes). */
  quotes?: QuoteBookState;
}

function orderState(o: Order): OrderState {
  return {
    id: o.id, accountId: o.account.id, clientOrderId: o.clientOrderId ?? null, symbol: o.inst.symbol, side: o.side, orderType: o.orderType,
    timeInForce: o.timeInForce, postOnly: o.postOnly, stp: o.stp, price: o.price.toString(),
    quantity: o.quantity === null ? null : o.quantity.toString(), quoteQuantity: o.quoteQuantity === null ? null : o.quoteQuantity.toString(),
    remaining: o.remaining.toString(), filled: o.filled.toString(), filledQuote: o.filledQuote.toString(),
    feeNumerator: o.feeNumerator.toString(), held: o.held.toString(), status: o.status, expireAt: o.expireAt ?? null,
    createdAt: o.createdAt, updatedAt: o.updatedAt, ...(o.quoteId !== undefined && { quoteId: o.quoteId }),
    ...(o.cancelReason !== undefined && { cancelReason: o.cancelReason }),
    ...(o.stopPrice !== null && { stopPrice: o.stopPrice.toString(), stopTime: o.stopTime }),
    ...(o.triggeredAt !== undefined && { triggeredAt: o.triggeredAt }),
  };
}

function candleState(c: CandleRecord): [number, Int, Int, Int, Int, Int, Int, number] {
  return [c.start, c.open.toString(), c.high.toString(), c.low.toString(), c.close.toString(), c.volume.toString(), c.quoteVolume.toString(), c.trades];
}

/** An instrument's state; its books only when `withBooks` (the binary layout stores them its own way). */
function instrumentState(inst: Instrument, withBooks = true): InstrumentState {
  const candles = {} as InstrumentState['candles'];
  for (const interval of CANDLE_INTERVALS) {
    const series = inst.md.candles[interval];
    candles[interval] = series.slice(Math.max(0, series.length - inst.md.candleRetention)).map(candleState);
  }
  const side = (book: BookSide<Units>): [Int, number[]][] => {
    const out: [Int, number[]][] = [];
    for (let level = book.best() ?? null; level !== null; level = level.worse) {
      const ids: number[] = [];
      for (let n = level.head as Order | null; n !== null; n = n.next as Order | null) ids.push(n.id);
      out.push([level.price.toString(), ids]);
    }
    return out;
  };
  return {
    symbol: inst.symbol, base: inst.base.asset, quote: inst.quote.asset, tick: inst.tick.toString(), lot: inst.lot.toString(),
    minQuantity: inst.minQuantity.toString(), maxQuantity: inst.maxQuantity.toString(), minNotional: inst.minNotional.toString(),
    priceBandBps: inst.priceBandBps, status: inst.status, tradeSeq: inst.tradeSeq, bookSeq: inst.bookSeq,
    lastPrice: inst.md.lastPrice === null ? null : inst.md.lastPrice.toString(),
    recentTrades: inst.md.recentOldestFirst().map((t) => [t.tradeId, t.price.toString(), t.quantity.toString(), t.takerSide, t.ts]),
    candles, bids: withBooks ? side(inst.bids) : [], asks: withBooks ? side(inst.asks) : [],
  };
}

/**
 * Everything but the orders: configuration, assets, instruments without their books, accounts
 * and OTC quotes (`orders`, `finished` and the books empty). Shared with the binary layout.
 */
export function snapshotBase(st: CoreState, withBooks = false): SnapshotState {
  return {
    config: { ...st.config }, seq: st.seq, ts: st.ts, clock: st.clock, nextOrderId: st.nextOrderId,
    assets: [...st.assets.values()].map((a) => ({ asset: a.asset, decimals: a.decimals })),
    instruments: [...st.instruments.values()].map((inst) => instrumentState(inst, withBooks)),
    accounts: [...st.accounts.values()].map((a) => ({
      id: a.id, makerBps: a.makerBps, takerBps: a.takerBps, maxOpenOrders: a.maxOpenOrders, killSwitch: a.killSwitch, otcBps: a.otcBps,
      balances: [...a.balances.values()].map((b): [string, Int, Int] => [b.asset.asset, b.total.toString(), b.hold.toString()]),
      positions: [...a.positions.values()].map((p): [string, Int, Int, Int] => [p.symbol, p.net.toString(), p.cost.toString(), p.realized.toString()]),
    })),
    orders: [],
    finished: [],
    quotes: quoteBookState(st.quotes),
  };
}

export function takeSnapshot(st: CoreState): CoreSnapshot {
  const state = snapshotBase(st, true);
  state.finished = [...st.finished.values()].map(orderState);
  const live: Order[] = [];
  for (const a of st.accounts.values()) for (const o of a.orders.values()) live.push(o);
  live.sort((x, y) => x.id - y.id);
  state.orders = live.map(orderState);
  // A deep copy through JSON, so the snapshot shares nothing with the live state.
  return JSON.parse(JSON.stringify({ version: 1, seq: st.seq, state })) as CoreSnapshot;
}

function restoreOrder(st: CoreState, s: OrderState): Order {
  const account = st.accounts.get(s.accountId);
  const inst = st.instruments.get(s.symbol);
  if (account === undefined || inst === undefined) throw new Error(`snapshot order ${s.id} refers to an unknown account or symbol`);
  const o = new Order(
    s.id, account, s.clientOrderId ?? undefined, inst, s.side, s.orderType, s.timeInForce, s.postOnly, s.stp, units(BigInt(s.price)),
    s.quantity === null ? null : units(BigInt(s.quantity)), s.quoteQuantity === null ? null : BigInt(s.quoteQuantity), units(BigInt(s.remaining)),
    s.expireAt ?? undefined, s.createdAt, s.updatedAt,
  );
  o.filled = units(BigInt(s.filled));
  o.filledQuote = units(BigInt(s.filledQuote));
  o.feeNumerator = units(BigInt(s.feeNumerator));
  o.held = units(BigInt(s.held));
  o.status = s.status;
  o.cancelReason = s.cancelReason;
  o.priceText = s.orderType === 'limit' || s.orderType === 'stop_limit' ? formatFixed(o.price, inst.quote.decimals) : undefined;
  o.quoteId = s.quoteId;
  if (s.stopPrice !== undefined) {
    o.stopPrice = units(BigInt(s.stopPrice));
    o.stopPriceText = formatFixed(o.stopPrice, inst.quote.decimals);
    o.stopTime = s.stopTime ?? 0;
    o.triggeredAt = s.triggeredAt;
  }
  return o;
}

/** The state without any order: what `snapshotBase` captured, OTC quotes aside (they come last). */
export function restoreBase(s: SnapshotState): CoreState {
  const st = new CoreState({ ...s.config });
  st.seq = s.seq;
  st.ts = s.ts;
  st.clock = s.clock;
  st.nextOrderId = s.nextOrderId;
  for (const a of s.assets) st.assets.set(a.asset, { asset: a.asset, decimals: a.decimals });
  for (const i of s.instruments) {
    const base = st.assets.get(i.base) as AssetInfo;
    const quote = st.assets.get(i.quote) as AssetInfo;
    const inst = makeInstrument(
      st, i.symbol, base, quote, BigInt(i.tick), BigInt(i.lot), BigInt(i.minQuantity), BigInt(i.maxQuantity), BigInt(i.minNotional),
      i.priceBandBps, i.status,
    );
    inst.tradeSeq = i.tradeSeq;
    inst.bookSeq = i.bookSeq;
    inst.md.lastPrice = i.lastPrice === null ? null : BigInt(i.lastPrice);
    for (const [tradeId, price, quantity, takerSide, ts] of i.recentTrades) {
      inst.md.recent[inst.md.recentCount++] = { tradeId, price: units(BigInt(price)), quantity: units(BigInt(quantity)), takerSide, ts };
    }
    for (const interval of CANDLE_INTERVALS) {
      for (const [start, open, high, low, close, volume, quoteVolume, trades] of i.candles[interval]) {
        inst.md.candles[interval].push({
          start, open: units(BigInt(open)), high: units(BigInt(high)), low: units(BigInt(low)), close: units(BigInt(close)),
          volume: units(BigInt(volume)), quoteVolume: units(BigInt(quoteVolume)), trades,
        });
      }
    }
    st.instruments.set(i.symbol, inst);
  }
  for (const a of s.accounts) {
    let account = st.accounts.get(a.id);
    if (account === undefined) {
      account = new Account(a.id, a.makerBps, a.takerBps, a.maxOpenOrders);
      st.accounts.set(a.id, account);
    }
    account.setFees(a.makerBps, a.takerBps);
    account.maxOpenOrders = a.maxOpenOrders;
    account.killSwitch = a.killSwitch;
    account.otcBps = a.otcBps ?? 0;
    for (const [asset, total, hold] of a.balances) {
      const b = new Balance(st.assets.get(asset) as AssetInfo);
      b.total = units(BigInt(total));
      b.hold = units(BigInt(hold));
      account.balances.set(asset, b);
    }
    for (const [symbol, net, cost, realized] of a.positions) {
      const p = new Position(symbol);
      p.net = units(BigInt(net));
      p.cost = units(BigInt(cost));
      p.realized = units(BigInt(realized));
      account.positions.set(symbol, p);
    }
  }
  return st;
}

/** OTC quotes, restored once the orders are. */
export function restoreQuotes(st: CoreState, s: SnapshotState): void {
  if (s.quotes !== undefined) restoreQuoteBook(st, s.quotes);
}

/**
 * Puts a restored order at the back of `level`'s queue (a new level at the order's price when
 * `level` is undefined), refusing one that belongs elsewhere: another instrument or side, another
 * price, or already queued (in a level or the stop book). Orders of a level share its price text.
 */
export function queueRestored(inst: Instrument, side: Side, level: PriceLevel | undefined, o: Order): PriceLevel {
  if (o.inst !== inst || o.side !== side || o.level !== null || (level !== undefined && o.price !== level.price)) {
    throw new Error(`snapshot book: order ${o.id} does not belong in this ${inst.symbol} ${side} level`);
  }
  const queue = level ?? new BookLevel<Units>(o.price, o.priceText ?? formatFixed(o.price, inst.quote.decimals));
  o.priceText = queue.priceText;
  queue.push(o);
  return queue;
}

/**
 * `addLive` for restored live orders given in ascending id: the same state, built account by
 * account, so each account's maps grow while they are in cache rather than all at once.
 */
export function addRestoredLive(st: CoreState, live: readonly Order[]): void {
  const byAccount = new Map<Account, Order[]>();
  for (const o of live) {
    let orders = byAccount.get(o.account);
    if (orders === undefined) byAccount.set(o.account, (orders = []));
    orders.push(o);
    if (o.expireAt !== undefined) st.gtd.add(o);
  }
  for (const [account, orders] of byAccount) {
    for (const o of orders) {
      account.orders.add(o);
      st.live.set(o);
      if (o.clientOrderId !== undefined) account.byClientId.set(o.clientOrderId, o);
    }
  }
}

/** Puts restored untriggered stops back in their stop books, in the time order they were queued in. */
export function addWaitingStops(waiting: Order[]): void {
  waiting.sort((a, b) => a.stopTime - b.stopTime);
  for (const o of waiting) o.inst.stops.add(o);
}

export function restoreState(snapshot: CoreSnapshot): CoreState {
  if (snapshot.version !== 1) throw new Error(`unsupported core snapshot version ${String(snapshot.version)}`);
  const s = snapshot.state as SnapshotState;
  const st = restoreBase(s);
  const byId = new Map<number, Order>();
  const waiting: Order[] = [];
  const live: Order[] = [];
  for (const os of s.orders) {
    const o = restoreOrder(st, os);
    live.push(o);
    if (o.untriggered) waiting.push(o);
    byId.set(o.id, o);
  }
  addRestoredLive(st, live);
  addWaitingStops(waiting);
  for (const i of s.instruments) {
    const inst = st.instruments.get(i.symbol) as Instrument;
    for (const [sideName, stored] of [['buy', i.bids], ['sell', i.asks]] as const) {
      // Levels are stored best first; the side is built from them worst first.
      const levels: PriceLevel[] = [];
      for (let li = stored.length - 1; li >= 0; li--) {
        let level: PriceLevel | undefined;
        for (const id of stored[li]![1]) {
          const o = byId.get(id);
          if (o === undefined) throw new Error(`snapshot book refers to unknown order ${id}`);
          level = queueRestored(inst, sideName, level, o);
        }
        if (level === undefined) throw new Error(`snapshot book of ${inst.symbol} has an empty level`);
        levels.push(level);
      }
      bookSide(inst, sideName).load(levels);
    }
  }
  for (const os of s.finished) {
    st.finished.restore(restoreOrder(st, os));
  }
  restoreQuotes(st, s);
  return st;
}
