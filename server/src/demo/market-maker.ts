/**
 * The demo market's built-in market maker. It keeps every book two-sided around a reference
 * price that wanders (a seeded random walk), and now and then lifts or hits its own quotes from a
 * second account so that trades print. It trades through the command bus like any client (its
 * accounts are ordinary accounts), so everything it does is journaled and streamed.
 */
import type { InstrumentSpec } from '../core/api.js';
import type { Logger } from '../observability/logger.js';
import { submitCommand } from '../order-entry/submit.js';
import type { CommandBus } from '../sequencer/api.js';

export const MAKER_ACCOUNT = 'demo-maker';
export const TAKER_ACCOUNT = 'demo-taker';

/** Starting reference prices for the demo instruments; others start at 100 ticks × 100. */
const START_PRICES: Record<string, string> = { 'BTC-USD': '60000', 'ETH-USD': '3000', 'ETH-BTC': '0.05' };

export interface MarketMakerOptions {
  bus: CommandBus;
  logger: Logger;
  /** Milliseconds between requotes. */
  intervalMs?: number;
  /** Price levels quoted on each side. */
  levels?: number;
  seed?: number;
}

/** Exact decimal helpers on scaled bigints (never floating point). */
function scaleOf(decimal: string): number {
  const dot = decimal.indexOf('.');
  return dot < 0 ? 0 : decimal.length - dot - 1;
}
function toUnits(decimal: string, scale: number): bigint {
  const [whole, frac = ''] = decimal.split('.');
  return BigInt(whole!) * 10n ** BigInt(scale) + BigInt((frac + '0'.repeat(scale)).slice(0, scale) || '0');
}
function fromUnits(units: bigint, scale: number): string {
  const neg = units < 0n;
  const s = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const out = scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
  return neg ? `-${out}` : out;
}

/** A small deterministic PRNG (mulberry32), so a demo run is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Market { spec: InstrumentSpec; scale: number; tick: bigint; lot: bigint; reference: bigint }

export class DemoMarketMaker {
  readonly #opts: Required<Omit<MarketMakerOptions, 'bus' | 'logger'>> & Pick<MarketMakerOptions, 'bus' | 'logger'>;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #markets: Market[] = [];

  constructor(options: MarketMakerOptions) {
    this.#opts = { intervalMs: 1000, levels: 5, seed: 7, ...options };
    this.#random = prng(this.#opts.seed);
  }

  /** Creates and funds the bot accounts on first start, then requotes on a timer. */
  async start(): Promise<void> {
    const { bus } = this.#opts;
    for (const accountId of [MAKER_ACCOUNT, TAKER_ACCOUNT]) {
      if (bus.core.account(accountId)) continue;
      await submitCommand(bus, { type: 'CreateAccount', accountId, maxOpenOrders: 10_000 });
      for (const asset of bus.core.assets()) {
        await submitCommand(bus, { type: 'Deposit', accountId, asset: asset.asset, amount: asset.asset === 'USD' ? '1000000000' : '100000' });
      }
    }
    this.#markets = bus.core.instruments().map((spec) => {
      const scale = Math.max(scaleOf(spec.tickSize), scaleOf(spec.lotSize));
      const last = bus.core.recentTrades(spec.symbol, 1)[0]?.price ?? START_PRICES[spec.symbol] ?? fromUnits(toUnits(spec.tickSize, scale) * 10_000n, scale);
      const tick = toUnits(spec.tickSize, scale);
      const ref = toUnits(last, scale);
      return { spec, scale, tick, lot: toUnits(spec.lotSize, scale), reference: ref - (ref % tick) };
    });
    const loop = () => {
      this.#running = this.#requoteAll().catch((err: unknown) => this.#opts.logger.warn({ err }, 'demo market maker: requote failed'));
      this.#timer = setTimeout(loop, this.#opts.intervalMs);
      this.#timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  async #requoteAll(): Promise<void> {
    for (const m of this.#markets) {
      if (m.spec.status !== 'open' && this.#opts.bus.core.instruments().find((i) => i.symbol === m.spec.symbol)?.status !== 'open') continue;
      await this.#requote(m);
    }
  }

  async #requote(m: Market): Promise<void> {
    const { bus } = this.#opts;
    // Random walk: at most ±2 ticks per 10,000 of price per step, never below 10 ticks.
    const step = (m.reference / 5_000n / m.tick) * m.tick;
    const move = BigInt(Math.floor(this.#random() * 5) - 2) * (step > 0n ? step : m.tick);
    m.reference = m.reference + move < m.tick * 10n ? m.tick * 10n : m.reference + move;
    // New quotes go in before the old ones come out, so the book is never empty between requotes.
    const stale = bus.core.openOrders(MAKER_ACCOUNT, m.spec.symbol).map((o) => o.orderId);
    const spread = step > m.tick ? step : m.tick;
    const minQty = toUnits(m.spec.minQuantity, m.scale);
    for (let level = 1; level <= this.#opts.levels; level++) {
      const quantity = this.#quantity(m, minQty, level);
      for (const side of ['buy', 'sell'] as const) {
        const offset = spread * BigInt(level);
        const price = side === 'buy' ? m.reference - offset : m.reference + offset;
        if (price <= 0n) continue;
        await bus.submit({ type: 'PlaceOrder', accountId: MAKER_ACCOUNT, symbol: m.spec.symbol, side, orderType: 'limit', price: fromUnits(price, m.scale), quantity: fromUnits(quantity, m.scale), timeInForce: 'GTC', postOnly: true });
      }
    }
    for (const orderId of stale) await bus.submit({ type: 'CancelOrder', accountId: MAKER_ACCOUNT, orderId });
    // About one requote in three prints a trade against the top of the book.
    if (this.#random() < 0.35) {
      const side = this.#random() < 0.5 ? 'buy' : 'sell';
      await bus.submit({ type: 'PlaceOrder', accountId: TAKER_ACCOUNT, symbol: m.spec.symbol, side, orderType: 'market', quantity: fromUnits(minQty * 2n > m.lot ? minQty * 2n : m.lot, m.scale), timeInForce: 'IOC' });
    }
  }

  /** A quantity that meets the minimum notional at this price, growing with the level, on lot. */
  #quantity(m: Market, minQty: bigint, level: number): bigint {
    const minNotional = toUnits(m.spec.minNotional, m.scale);
    const scaleFactor = 10n ** BigInt(m.scale);
    let qty = minQty * BigInt(level * 100);
    const notional = (qty * m.reference) / scaleFactor;
    if (notional < minNotional * 2n) qty = ((minNotional * 2n * scaleFactor) / m.reference / m.lot + 1n) * m.lot * BigInt(level);
    return qty - (qty % m.lot);
  }
}
