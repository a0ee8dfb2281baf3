/** The read side: views of the core's state at its current sequence. Nothing here mutates. */
import type {
  AccountView, BalanceView, BookLevel, BookSnapshot, Candle, CandleInterval, OpenOrdersPage, OrderRef, OrderView, PositionView, TickerView, TradeView,
} from './api.js';
import { averageEntry, orderView } from './events.js';
import { formatFixed } from './fixed.js';
import { DAY_MS, INTERVAL_MS, type CandleRecord } from './market-data.js';
import type { BookSide, Instrument, Position } from './model.js';
import { findLive } from './order-actions.js';
import type { CoreState } from './state.js';
import { big, minus, plus, type Units } from './units.js';

function levels(side: BookSide<Units>, inst: Instrument, depth: number): BookLevel[] {
  const out: BookLevel[] = [];
  for (let l = side.best() ?? null; l !== null && out.length < depth; l = l.worse) {
    out.push({ price: l.priceText, quantity: formatFixed(l.quantity, inst.base.decimals), orders: l.count });
  }
  return out;
}

/** Aggregated L2 book, best price first on both sides (depth defaults to the whole book). */
export function bookSnapshot(st: CoreState, symbol: string, depth = Number.MAX_SAFE_INTEGER): BookSnapshot | undefined {
  const inst = st.instruments.get(symbol);
  if (inst === undefined) return undefined;
  return { symbol, seq: st.seq, bookSeq: inst.bookSeq, bids: levels(inst.bids, inst, depth), asks: levels(inst.asks, inst, depth) };
}

/** A live order by id or client id; a recently finished one by id only. */
export function findOrder(st: CoreState, accountId: string, ref: OrderRef): OrderView | undefined {
  const account = st.accounts.get(accountId);
  if (account === undefined) return undefined;
  const live = findLive(st, account, ref);
  if (live !== undefined) return orderView(live);
  if (typeof ref.orderId !== 'string') return undefined;
  const done = st.finished.get(Number(ref.orderId));
  return done !== undefined && done.account === account && done.idText === ref.orderId ? orderView(done) : undefined;
}

/** Live orders of an account (optionally one symbol), ascending order id. */
export function openOrders(st: CoreState, accountId: string, symbol?: string, page?: OpenOrdersPage): OrderView[] {
  const account = st.accounts.get(accountId);
  if (account === undefined) return [];
  const after = page?.afterOrderId === undefined ? 0 : Number(page.afterOrderId);
  const limit = page?.limit ?? Infinity;
  const out: OrderView[] = [];
  // account.orders is in ascending id order, so a page stops as soon as it is full.
  for (const o of account.orders.values()) {
    if (out.length >= limit) break;
    if (o.id > after && (symbol === undefined || o.inst.symbol === symbol)) out.push(orderView(o));
  }
  return out;
}

export function balances(st: CoreState, accountId: string): BalanceView[] | undefined {
  const account = st.accounts.get(accountId);
  if (account === undefined) return undefined;
  const out: BalanceView[] = [];
  for (const b of account.balances.values()) {
    const d = b.asset.decimals;
    out.push({ asset: b.asset.asset, total: formatFixed(b.total, d), available: formatFixed(minus(b.total, b.hold), d), hold: formatFixed(b.hold, d) });
  }
  return out;
}

/**
 * The open quantity marked to `last`: a long's value at the last price less what it cost; a
 * short's proceeds less what buying it back at the last price would cost. Exact: price ×
 * quantity is always a whole number of quote units (the tick/lot rule).
 */
function unrealizedPnl(p: Position, inst: Instrument, last: bigint): bigint {
  const net = big(p.net);
  const cost = big(p.cost);
  const size = net < 0n ? -net : net;
  const value = inst.notional(last, size);
  return net < 0n ? cost - value : value - cost;
}

export function positions(st: CoreState, accountId: string): PositionView[] | undefined {
  const account = st.accounts.get(accountId);
  if (account === undefined) return undefined;
  const out: PositionView[] = [];
  for (const p of account.positions.values()) {
    const inst = st.instruments.get(p.symbol) as Instrument;
    const view: PositionView = {
      symbol: p.symbol, netQuantity: formatFixed(p.net, inst.base.decimals),
      averageEntryPrice: formatFixed(averageEntry(p, inst), inst.quote.decimals), realizedPnl: formatFixed(p.realized, inst.quote.decimals),
    };
    const last = inst.md.lastPrice;
    if (last !== null) {
      view.lastPrice = formatFixed(last, inst.quote.decimals);
      view.unrealizedPnl = formatFixed(unrealizedPnl(p, inst, last), inst.quote.decimals);
    }
    out.push(view);
  }
  return out;
}

export function accountView(st: CoreState, accountId: string): AccountView | undefined {
  const a = st.accounts.get(accountId);
  if (a === undefined) return undefined;
  return { accountId: a.id, makerBps: a.makerBps, takerBps: a.takerBps, maxOpenOrders: a.maxOpenOrders, openOrders: a.orders.size, killSwitch: a.killSwitch, otcBps: a.otcBps };
}

/** Newest first. */
export function recentTrades(st: CoreState, symbol: string, limit: number): TradeView[] {
  const inst = st.instruments.get(symbol);
  if (inst === undefined || !(limit > 0)) return [];
  return inst.md.recentTrades(Math.floor(limit)).map((t) => ({
    tradeId: t.tradeId, price: formatFixed(t.price, inst.quote.decimals), quantity: formatFixed(t.quantity, inst.base.decimals),
    takerSide: t.takerSide, ts: t.ts,
  }));
}

function candleView(c: CandleRecord, inst: Instrument): Candle {
  const q = inst.quote.decimals;
  return {
    start: c.start, open: formatFixed(c.open, q), high: formatFixed(c.high, q), low: formatFixed(c.low, q), close: formatFixed(c.close, q),
    volume: formatFixed(c.volume, inst.base.decimals), quoteVolume: formatFixed(c.quoteVolume, q), trades: c.trades,
  };
}

/** Candles whose start lies in [start, end), ascending; intervals without trades are absent. */
export function candles(st: CoreState, symbol: string, interval: CandleInterval, start: number, end: number): Candle[] {
  const inst = st.instruments.get(symbol);
  if (inst === undefined || INTERVAL_MS[interval] === undefined) return [];
  return inst.md.candlesBetween(interval, start, end).map((c) => candleView(c, inst));
}

/**
 * Rolling 24h ticker at `now`, by minute: the 1,440 one-minute buckets ending with the one
 * holding `now`. With no trade in the window, open/high/low equal the last price ("0" if the
 * instrument never traded) and the volumes are 0.
 */
export function ticker(st: CoreState, symbol: string, now: number): TickerView | undefined {
  const inst = st.instruments.get(symbol);
  if (inst === undefined) return undefined;
  const md = inst.md;
  const windowStart = now - (now % 60_000) - DAY_MS + 60_000;
  const series = md.candles['1m'];
  let open: Units | null = null;
  let high: Units = 0;
  let low: Units = 0;
  let last: Units | null = null;
  let volume: Units = 0;
  let quoteVolume: Units = 0;
  let trades = 0;
  for (let i = Math.max(0, series.length - md.candleRetention); i < series.length; i++) {
    const c = series[i]!;
    if (c.start < windowStart || c.start > now) continue;
    if (open === null) {
      open = c.open;
      high = c.high;
      low = c.low;
    } else {
      if (c.high > high) high = c.high;
      if (c.low < low) low = c.low;
    }
    last = c.close;
    volume = plus(volume, c.volume);
    quoteVolume = plus(quoteVolume, c.quoteVolume);
    trades += c.trades;
  }
  const lastPrice = last ?? md.lastPrice ?? 0n;
  const q = inst.quote.decimals;
  const bid = inst.bids.best();
  const ask = inst.asks.best();
  return {
    symbol, open: formatFixed(open ?? lastPrice, q), high: formatFixed(open === null ? lastPrice : high, q),
    low: formatFixed(open === null ? lastPrice : low, q), last: formatFixed(lastPrice, q),
    volume: formatFixed(volume, inst.base.decimals), quoteVolume: formatFixed(quoteVolume, q),
    bestBid: bid?.priceText, bestAsk: ask?.priceText, tradeCount: trades, windowStart, windowEnd: now,
  };
}

/** The earliest expireAt among live GTD orders (a scan: it is asked once per expiry, not per command). */
export function nextExpiry(st: CoreState): number | undefined {
  let earliest: number | undefined;
  for (const o of st.gtd) if (earliest === undefined || (o.expireAt as number) < earliest) earliest = o.expireAt;
  return earliest;
}
