/**
 * The built-in pricer: prices from the live book. The VWAP of filling the size against the
 * opposite side of the book, widened by a spread in bps and a size skew (full `sizeSkewBps` at
 * the instrument's maximum order size, pro rata below), rounded away from the client to the tick.
 * It declines when the book cannot cover the size, or when the price would fall outside the
 * instrument's price band around the reference price (last trade, else mid), so it never quotes
 * a price the book itself would refuse. All arithmetic is exact (bigint).
 */
import type { BookLevel, CoreView, InstrumentSpec } from '../core/api.js';
import { formatFixed, parseFixed, pow10 } from '../core/fixed.js';
import type { ProviderQuote, QuoteProvider, RfqRequest } from './provider.js';

const BPS = 10_000n;

export interface PricerSettings { spreadBps: number; sizeSkewBps: number; counterpartyId: string }

interface Scales { tick: bigint; lot: bigint; maxQuantity: bigint; baseUnit: bigint; qd: number; bd: number; bandBps: number }

export class BookPricer implements QuoteProvider {
  readonly name = 'pricer';

  constructor(private readonly core: () => Pick<CoreView, 'book' | 'instruments' | 'assets' | 'recentTrades'>, private readonly settings: PricerSettings) {}

  async quote(request: RfqRequest): Promise<ProviderQuote[]> {
    const q = this.price(request);
    return q === undefined ? [] : [q];
  }

  /** The quote for a request, or undefined when the book cannot support one. */
  price(request: RfqRequest): ProviderQuote | undefined {
    const core = this.core();
    const spec = core.instruments().find((i) => i.symbol === request.symbol);
    const book = core.book(request.symbol);
    if (spec === undefined || book === undefined) return undefined;
    const s = scalesOf(spec, core.assets());
    if (s === undefined) return undefined;
    const bids = levels(book.bids, s);
    const asks = levels(book.asks, s);

    let quantity: bigint;
    if (request.quoteQuantity !== undefined) {
      const amount = parseFixed(request.quoteQuantity, s.qd);
      if (typeof amount !== 'bigint' || amount === 0n || request.side !== 'buy') return undefined;
      const estimate = quantityFor(asks, amount, s);
      const first = estimate === 0n ? undefined : this.#ask(asks, estimate, s);
      if (first === undefined) return undefined;
      // At the price for that size the amount buys at most this much; a smaller size never costs more per unit.
      const affordable = floorTo((amount * s.baseUnit) / first, s.lot);
      quantity = affordable < estimate ? affordable : estimate;
      if (quantity === 0n) return undefined;
    } else {
      const parsed = parseFixed(request.quantity, s.bd);
      if (typeof parsed !== 'bigint' || parsed === 0n) return undefined;
      quantity = parsed;
    }

    const ref2 = reference2(core.recentTrades(request.symbol, 1)[0]?.price, bids, asks, s);
    const out: ProviderQuote = { provider: this.name, counterpartyId: this.settings.counterpartyId, quantity: formatFixed(quantity, s.bd), validUntil: request.validUntil };
    if (request.side !== 'sell') {
      const ask = this.#ask(asks, quantity, s);
      if (ask === undefined || !inBand(ask, ref2, s)) return undefined;
      out.askPrice = formatFixed(ask, s.qd);
    }
    if (request.side !== 'buy') {
      const bid = this.#bid(bids, quantity, s);
      if (bid === undefined || bid === 0n || !inBand(bid, ref2, s)) return undefined;
      out.bidPrice = formatFixed(bid, s.qd);
    }
    return out;
  }

  #markupBps(quantity: bigint, s: Scales): bigint {
    const skew = (BigInt(this.settings.sizeSkewBps) * (quantity < s.maxQuantity ? quantity : s.maxQuantity)) / s.maxQuantity;
    return BigInt(this.settings.spreadBps) + skew;
  }

  #ask(asks: Level[], quantity: bigint, s: Scales): bigint | undefined {
    const cost = sweep(asks, quantity);
    if (cost === undefined) return undefined;
    // ceil(VWAP × (1 + markup)), then up to the tick.
    const raw = ceilDiv(cost * (BPS + this.#markupBps(quantity, s)), quantity * BPS);
    return ceilTo(raw, s.tick);
  }

  #bid(bids: Level[], quantity: bigint, s: Scales): bigint | undefined {
    const proceeds = sweep(bids, quantity);
    if (proceeds === undefined) return undefined;
    const markup = this.#markupBps(quantity, s);
    if (markup >= BPS) return undefined;
    return floorTo((proceeds * (BPS - markup)) / (quantity * BPS), s.tick);
  }
}

interface Level { price: bigint; quantity: bigint }

function scalesOf(spec: InstrumentSpec, assets: readonly { asset: string; decimals: number }[]): Scales | undefined {
  const qd = assets.find((a) => a.asset === spec.quote)?.decimals;
  const bd = assets.find((a) => a.asset === spec.base)?.decimals;
  if (qd === undefined || bd === undefined) return undefined;
  const tick = parseFixed(spec.tickSize, qd) as bigint;
  const lot = parseFixed(spec.lotSize, bd) as bigint;
  const maxQuantity = parseFixed(spec.maxQuantity, bd) as bigint;
  return { tick, lot, maxQuantity, baseUnit: pow10(bd), qd, bd, bandBps: spec.priceBandBps };
}

function levels(side: readonly BookLevel[], s: Scales): Level[] {
  return side.map((l) => ({ price: parseFixed(l.price, s.qd) as bigint, quantity: parseFixed(l.quantity, s.bd) as bigint }));
}

/** Σ price × quantity (in price units × base units) of filling `quantity` best first, or undefined if the side is too thin. */
function sweep(side: readonly Level[], quantity: bigint): bigint | undefined {
  let left = quantity;
  let cost = 0n;
  for (const l of side) {
    const take = l.quantity < left ? l.quantity : left;
    cost += take * l.price;
    left -= take;
    if (left === 0n) return cost;
  }
  return undefined;
}

/** The base quantity `amount` of quote buys walking the asks at their own prices (an upper bound). */
function quantityFor(asks: readonly Level[], amount: bigint, s: Scales): bigint {
  let left = amount * s.baseUnit;
  let quantity = 0n;
  for (const l of asks) {
    const full = l.quantity * l.price;
    if (full <= left) {
      quantity += l.quantity;
      left -= full;
    } else {
      quantity += left / l.price;
      break;
    }
  }
  return floorTo(quantity, s.lot);
}

/** 2 × the reference price (last trade, else mid), or -1n when there is none. */
function reference2(last: string | undefined, bids: Level[], asks: Level[], s: Scales): bigint {
  if (last !== undefined) return 2n * (parseFixed(last, s.qd) as bigint);
  if (bids[0] === undefined || asks[0] === undefined) return -1n;
  return bids[0].price + asks[0].price;
}

function inBand(price: bigint, ref2: bigint, s: Scales): boolean {
  if (s.bandBps === 0 || ref2 < 0n) return true;
  const d = 2n * price - ref2;
  return (d < 0n ? -d : d) * BPS <= ref2 * BigInt(s.bandBps);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function ceilTo(v: bigint, step: bigint): bigint {
  return ceilDiv(v, step) * step;
}

function floorTo(v: bigint, step: bigint): bigint {
  return v - (v % step);
}
