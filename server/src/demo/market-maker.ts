/**
 * The demo market's built-in market maker. It keeps every book two-sided around a reference
 * price that wanders (a seeded random walk), and now and then lifts or hits its own quotes from a
 * second account so that trades print. It trades through the command bus like any client (its
 * accounts are ordinary accounts), so everything it does is journaled and streamed.
 */
import type { InstrumentSpec } from '../core/api.js';
import { formatFixed, MAX_SCALE, parseFixed, pow10 } from '../core/fixed.js';
import type { Logger } from '../observability/logger.js';
import { submitCommand } from '../order-entry/submit.js';
import type { CommandBus } from '../sequencer/api.js';
import { seededRandom } from './prng.js';

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

/** Every amount the bot computes is an integer count of 10^-18 units: exact, and wide enough for any configured tick or lot. */
const SCALE = MAX_SCALE;

function toUnits(decimal: string): bigint {
  const units = parseFixed(decimal, SCALE);
  if (typeof units !== 'bigint') throw new Error(`demo market maker: cannot read decimal ${decimal} (${units})`);
  return units;
}
const fromUnits = (units: bigint): string => formatFixed(units, SCALE);

interface Market { spec: InstrumentSpec; tick: bigint; lot: bigint; reference: bigint }

export class DemoMarketMaker {
  readonly #opts: Required<Omit<MarketMakerOptions, 'bus' | 'logger'>> & Pick<MarketMakerOptions, 'bus' | 'logger'>;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #markets: Market[] = [];

  constructor(options: MarketMakerOptions) {
    this.#opts = { intervalMs: 1000, levels: 5, seed: 7, ...options };
    this.#random = seededRandom(this.#opts.seed);
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
      const last = bus.core.recentTrades(spec.symbol, 1)[0]?.price ?? START_PRICES[spec.symbol] ?? fromUnits(toUnits(spec.tickSize) * 10_000n);
      const tick = toUnits(spec.tickSize);
      const ref = toUnits(last);
      return { spec, tick, lot: toUnits(spec.lotSize), reference: ref - (ref % tick) };
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
    const minQty = toUnits(m.spec.minQuantity);
    for (let level = 1; level <= this.#opts.levels; level++) {
      const quantity = this.#quantity(m, minQty, level);
      for (const side of ['buy', 'sell'] as const) {
        const offset = spread * BigInt(level);
        const price = side === 'buy' ? m.reference - offset : m.reference + offset;
        if (price <= 0n) continue;
        await bus.submit({ type: 'PlaceOrder', accountId: MAKER_ACCOUNT, symbol: m.spec.symbol, side, orderType: 'limit', price: fromUnits(price), quantity: fromUnits(quantity), timeInForce: 'GTC', postOnly: true });
      }
    }
    for (const orderId of stale) await bus.submit({ type: 'CancelOrder', accountId: MAKER_ACCOUNT, orderId });
    // About one requote in three prints a trade against the top of the book.
    if (this.#random() < 0.35) {
      const side = this.#random() < 0.5 ? 'buy' : 'sell';
      await bus.submit({ type: 'PlaceOrder', accountId: TAKER_ACCOUNT, symbol: m.spec.symbol, side, orderType: 'market', quantity: fromUnits(minQty * 2n > m.lot ? minQty * 2n : m.lot), timeInForce: 'IOC' });
    }
  }

  /** A quantity that meets the minimum notional at this price, growing with the level, on lot. */
  #quantity(m: Market, minQty: bigint, level: number): bigint {
    const minNotional = toUnits(m.spec.minNotional);
    const scaleFactor = pow10(SCALE);
    let qty = minQty * BigInt(level * 100);
    const notional = (qty * m.reference) / scaleFactor;
    if (notional < minNotional * 2n) qty = ((minNotional * 2n * scaleFactor) / m.reference / m.lot + 1n) * m.lot * BigInt(level);
    return qty - (qty % m.lot);
  }
}
