/**
 * Trading core benchmark: a realistic mixed order flow applied in one process.
 *
 * Flow: ~60% new limit orders near the touch, 30% cancels, 5% amends, 5% aggressive crossing
 * orders (IOC limits through 1-3 levels, some market orders), from 200 accounts, over 1
 * instrument and then over 50 instruments; then the same over 1 instrument with 5% of the
 * commands stop orders (taken from the new limit orders' share): half stop-limits, half stops,
 * 1-4 ticks beyond the last price, which the flow's own trades trigger. Each command's `apply`
 * is timed on its own (the generator and the bookkeeping of live orders run outside the timed
 * section).
 *
 * The core is driven through `execute`, which returns its events compactly (ids and integer
 * amounts) and formats no decimal: formatting is the job of whoever reads an event (a gateway).
 * With `--format`, every command's events are also built as public events (`views()`, what
 * `apply` returns), timed apart, so the cost of formatting them all is reported beside it.
 *
 *   npm run bench:core                       # 1,000,000 measured commands per scenario
 *   npm run bench:core -- 200000             # a shorter run
 *   npm run bench:core -- 200000 --format    # also format every event
 */
import { createRequire } from 'node:module';
import type { Command, ExecutedCommand, TradingCore } from '../server/src/core/api.js';
import { createCore } from '../server/src/core/index.js';

const require = createRequire(import.meta.url);
const { build } = require('hdr-histogram-js') as typeof import('hdr-histogram-js');

const args = process.argv.slice(2);
const FORMAT = args.includes('--format');
const MEASURED = Number(args.find((a) => !a.startsWith('--')) ?? 1_000_000);
const WARMUP = Math.min(200_000, Math.max(20_000, MEASURED / 5));
const ACCOUNTS = 200;
const TICK_CENTS = 1; // tick 0.01 USD
const MID_CENTS = 10_000; // 100.00 USD

/** USD is kept at 6 decimals: a price in units to cents. */
const cents = (units: bigint): number => Math.trunc(Number(units) / 10_000);
/** The base assets are kept at 8 decimals: a quantity in units to lots of 0.001. */
const lots = (units: bigint): number => Math.trunc(Number(units) / 100_000);

/** xorshift32: a deterministic generator so every run sends the same flow. */
class Rng {
  constructor(private s: number) {}
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4_294_967_296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

const ACCOUNT_IDS = Array.from({ length: ACCOUNTS }, (_, a) => `acct${a}`);

/**
 * Decimal texts the flow sends, written once per value: the commands keep their public shape
 * (decimal strings, parsed and checked by the core), only the benchmark's own formatting of the
 * same few hundred values is cached so its garbage does not land in the timed sections.
 */
class Texts {
  private readonly prices: string[] = new Array<string>(4 * MID_CENTS).fill('');
  private readonly quantities: string[] = new Array<string>(1024).fill('');

  price(cents: number): string {
    if (cents < 0 || cents >= this.prices.length) return (cents / 100).toFixed(2);
    let t = this.prices[cents]!;
    if (t === '') this.prices[cents] = t = (cents / 100).toFixed(2);
    return t;
  }

  quantity(lots: number): string {
    if (lots < 0 || lots >= this.quantities.length) return (lots / 1000).toFixed(3);
    let t = this.quantities[lots]!;
    if (t === '') this.quantities[lots] = t = (lots / 1000).toFixed(3);
    return t;
  }
}

/**
 * The resting orders the flow may cancel or amend, as parallel arrays (swap-remove keeps them
 * dense), and each order's slot by its numeric id (ids are sequential), so the bookkeeping
 * allocates nothing per order beyond the arrays' growth.
 */
class LiveOrders {
  readonly ids: number[] = [];
  readonly accounts: string[] = [];
  readonly buys: boolean[] = [];
  readonly cents: number[] = [];
  readonly lots: number[] = [];
  /** slot + 1 by order id (0: not live). */
  private slots = new Int32Array(1 << 16);

  get length(): number {
    return this.ids.length;
  }

  slot(id: number): number {
    return id < this.slots.length ? this.slots[id]! - 1 : -1;
  }

  add(id: number, account: string, buy: boolean, cents: number, lots: number): void {
    while (id >= this.slots.length) {
      const grown = new Int32Array(this.slots.length * 2);
      grown.set(this.slots);
      this.slots = grown;
    }
    this.slots[id] = this.ids.length + 1;
    this.ids.push(id);
    this.accounts.push(account);
    this.buys.push(buy);
    this.cents.push(cents);
    this.lots.push(lots);
  }

  remove(id: number): void {
    const i = this.slot(id);
    if (i < 0) return;
    this.slots[id] = 0;
    const last = this.ids.length - 1;
    if (i !== last) {
      const moved = this.ids[last]!;
      this.ids[i] = moved;
      this.accounts[i] = this.accounts[last]!;
      this.buys[i] = this.buys[last]!;
      this.cents[i] = this.cents[last]!;
      this.lots[i] = this.lots[last]!;
      this.slots[moved] = i + 1;
    }
    this.ids.pop();
    this.accounts.pop();
    this.buys.pop();
    this.cents.pop();
    this.lots.pop();
  }
}

/**
 * Each book's best bid and ask in cents, kept from the BookLevelChanged events (a flag per price
 * level that has quantity), so the flow reads the touch without building a book snapshot.
 */
class Touches {
  private readonly index = new Map<string, number>();
  private readonly bidLevels: Uint8Array[] = [];
  private readonly askLevels: Uint8Array[] = [];
  /** Best price in cents per book, -1 while the side is empty. */
  readonly bestBid: number[] = [];
  readonly bestAsk: number[] = [];

  constructor(symbols: readonly string[]) {
    for (const symbol of symbols) {
      this.index.set(symbol, this.bidLevels.length);
      this.bidLevels.push(new Uint8Array(4 * MID_CENTS));
      this.askLevels.push(new Uint8Array(4 * MID_CENTS));
      this.bestBid.push(-1);
      this.bestAsk.push(-1);
    }
  }

  of(symbol: string): number {
    return this.index.get(symbol)!;
  }

  /** A level's new total: present or gone; the best moves to the next level with quantity when its own empties. */
  level(symbol: string, buy: boolean, cents: number, present: boolean): void {
    const b = this.of(symbol);
    const levels = buy ? this.bidLevels[b]! : this.askLevels[b]!;
    if (cents < 0 || cents >= levels.length) throw new RangeError(`price ${cents} cents outside the benchmark's book range`);
    levels[cents] = present ? 1 : 0;
    if (buy) {
      let best = this.bestBid[b]!;
      if (present && cents > best) best = cents;
      else if (!present && cents === best) while (best >= 0 && levels[best] === 0) best--;
      this.bestBid[b] = best;
    } else {
      let best = this.bestAsk[b]!;
      if (present && (best < 0 || cents < best)) best = cents;
      else if (!present && cents === best) {
        while (best < levels.length && levels[best] === 0) best++;
        if (best === levels.length) best = -1;
      }
      this.bestAsk[b] = best;
    }
  }
}

class Flow {
  readonly live = new LiveOrders();
  private readonly touches: Touches;
  private readonly texts = new Texts();
  private ts = 1_700_000_000_000;
  constructor(readonly core: TradingCore, readonly symbols: string[], readonly rng: Rng, readonly stopShare = 0) {
    this.touches = new Touches(symbols);
  }

  private price(cents: number): string {
    return this.texts.price(cents);
  }

  /** Cents of a price text with two decimals ("100.01"), as Math.round(Number(text) * 100) gives. */
  private static centsOf(text: string): number {
    return Math.round(Number(text) * 100);
  }

  /** Best bid/ask in cents, as the core's book has them (kept from its level events). */
  private touch(symbol: string): void {
    const b = this.touches.of(symbol);
    const bid = this.touches.bestBid[b]!;
    const ask = this.touches.bestAsk[b]!;
    this.bid = bid < 0 ? MID_CENTS - 1 : bid;
    this.ask = ask < 0 ? MID_CENTS + 1 : ask;
  }

  private bid = 0;
  private ask = 0;

  next(): Command {
    const r = this.rng.next();
    const account = ACCOUNT_IDS[this.rng.int(ACCOUNTS)]!;
    const symbol = this.symbols[this.rng.int(this.symbols.length)]!;
    const live = this.live;
    if (r < 0.30 && live.length > 0) {
      const i = this.rng.int(live.length);
      return { type: 'CancelOrder', accountId: live.accounts[i]!, orderId: String(live.ids[i]) };
    }
    if (r < 0.35 && live.length > 0) {
      const i = this.rng.int(live.length);
      const orderLots = live.lots[i]!;
      if (orderLots > 1 && this.rng.next() < 0.5) return { type: 'AmendOrder', accountId: live.accounts[i]!, orderId: String(live.ids[i]), newQuantity: this.texts.quantity(Math.ceil(orderLots / 2)) };
      const away = live.buys[i] ? -TICK_CENTS : TICK_CENTS;
      return { type: 'AmendOrder', accountId: live.accounts[i]!, orderId: String(live.ids[i]), newPrice: this.price(live.cents[i]! + away) };
    }
    this.touch(symbol);
    const bid = this.bid;
    const ask = this.ask;
    const side = this.rng.next() < 0.5 ? 'buy' : 'sell';
    const lots = 1 + this.rng.int(20);
    const quantity = this.texts.quantity(lots);
    if (r >= 1 - this.stopShare) return this.stop(account, symbol, side, quantity, bid, ask);
    if (r < 0.40) {
      // Aggressive: an IOC limit through up to 3 ticks, or a market order.
      if (this.rng.next() < 0.2) return { type: 'PlaceOrder', accountId: account, symbol, side, orderType: 'market', timeInForce: 'IOC', quantity };
      const cents = side === 'buy' ? ask + this.rng.int(3) : bid - this.rng.int(3);
      return { type: 'PlaceOrder', accountId: account, symbol, side, orderType: 'limit', timeInForce: 'IOC', price: this.price(cents), quantity };
    }
    // Passive: near the touch, on the own side of the spread.
    const offset = this.rng.int(10);
    const cents = side === 'buy' ? Math.min(ask - 1, bid + 1 - offset) : Math.max(bid + 1, ask - 1 + offset);
    return { type: 'PlaceOrder', accountId: account, symbol, side, orderType: 'limit', timeInForce: 'GTC', price: this.price(cents), quantity };
  }

  /** A stop (market) or stop-limit order waiting 1-4 ticks beyond the last price. */
  private stop(account: string, symbol: string, side: 'buy' | 'sell', quantity: string, bid: number, ask: number): Command {
    const lastTrade = this.core.recentTrades(symbol, 1)[0];
    const last = lastTrade === undefined ? Math.round((bid + ask) / 2) : Flow.centsOf(lastTrade.price);
    const away = 1 + this.rng.int(4);
    const stopCents = side === 'buy' ? last + away : last - away;
    if (this.rng.next() < 0.5) {
      return { type: 'PlaceOrder', accountId: account, symbol, side, orderType: 'stop', timeInForce: 'GTC', stopPrice: this.price(stopCents), quantity };
    }
    const limitCents = side === 'buy' ? stopCents + 2 : stopCents - 2;
    return { type: 'PlaceOrder', accountId: account, symbol, side, orderType: 'stop_limit', timeInForce: 'GTC', stopPrice: this.price(stopCents), price: this.price(limitCents), quantity };
  }

  apply(command: Command): ExecutedCommand {
    return this.core.execute!({ ts: ++this.ts, command });
  }

  /** Keeps the set of resting orders up to date from the (compact) events. */
  track(command: Command, result: ExecutedCommand): void {
    const e = result.events;
    const live = this.live;
    for (let i = 0; i < e.length; i++) {
      switch (e.type(i)) {
        case 'OrderAccepted':
          // Resting limit orders (and stop-limits, amended or canceled like them); stops wait for their trigger.
          if (e.timeInForce(i) === 'GTC' && command.type === 'PlaceOrder' && e.orderType(i) !== 'stop') {
            live.add(e.orderId(i), e.accountId(i), e.side(i) === 'buy', cents(e.orderPrice(i)), lots(e.orderRemaining(i)));
          }
          break;
        case 'OrderAmended': {
          const at = live.slot(e.orderId(i));
          if (at >= 0) {
            live.cents[at] = cents(e.orderPrice(i));
            live.lots[at] = lots(e.orderRemaining(i));
          }
          break;
        }
        case 'OrderCanceled':
          live.remove(e.orderId(i));
          break;
        case 'BookLevelChanged':
          this.touches.level(e.levelSymbol(i), e.levelSide(i) === 'buy', Flow.centsOf(e.levelPrice(i)), e.levelQuantity(i) !== 0n);
          break;
        case 'OrderFilled':
          if (e.orderStatus(i) === 'filled') live.remove(e.orderId(i));
          else {
            const at = live.slot(e.orderId(i));
            if (at >= 0) live.lots[at] = lots(e.orderRemaining(i));
          }
          break;
        default:
      }
    }
  }
}

function setup(instruments: number): { core: TradingCore; symbols: string[] } {
  const core = createCore({ defaultMakerBps: -1, defaultTakerBps: 5, defaultMaxOpenOrders: 10_000 });
  let ts = 1_600_000_000_000;
  const run = (command: Command): void => {
    const r = core.apply({ ts: ++ts, command });
    if (!r.ok) throw new Error(`setup ${command.type}: ${r.code} ${r.message}`);
  };
  run({ type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } });
  const symbols: string[] = [];
  for (let i = 0; i < instruments; i++) {
    const base = `B${i}`;
    run({ type: 'AddAsset', spec: { asset: base, decimals: 8 } });
    const symbol = `${base}-USD`;
    run({
      type: 'AddInstrument', spec: {
        symbol, base, quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000', minNotional: '0',
        priceBandBps: 2000, status: 'open',
      },
    });
    symbols.push(symbol);
  }
  for (let a = 0; a < ACCOUNTS; a++) {
    const accountId = `acct${a}`;
    run({ type: 'CreateAccount', accountId });
    run({ type: 'Deposit', accountId, asset: 'USD', amount: '1000000000' });
    for (let i = 0; i < instruments; i++) run({ type: 'Deposit', accountId, asset: `B${i}`, amount: '10000000' });
  }
  return { core, symbols };
}

function scenario(name: string, instruments: number, stopShare = 0): void {
  const { core, symbols } = setup(instruments);
  const flow = new Flow(core, symbols, new Rng(0x9e3779b9), stopShare);
  // Seed both sides of every book: 20 levels × 5 orders.
  for (const symbol of symbols) {
    for (let level = 1; level <= 20; level++) {
      for (let k = 0; k < 5; k++) {
        for (const side of ['buy', 'sell'] as const) {
          const cents = side === 'buy' ? MID_CENTS - level : MID_CENTS + level;
          const command: Command = { type: 'PlaceOrder', accountId: `acct${(level * 5 + k) % ACCOUNTS}`, symbol, side, orderType: 'limit', timeInForce: 'GTC', price: (cents / 100).toFixed(2), quantity: '0.010' };
          flow.track(command, flow.apply(command));
        }
      }
    }
  }
  for (let i = 0; i < WARMUP; i++) {
    const c = flow.next();
    flow.track(c, flow.apply(c));
  }
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: 3 });
  const kinds = new Map<string, number>();
  const byKind = new Map<string, ReturnType<typeof build>>();
  let trades = 0;
  let events = 0;
  let triggered = 0;
  let applyNs = 0n;
  let formatNs = 0n;
  let formatted = 0;
  const wallStart = process.hrtime.bigint();
  for (let i = 0; i < MEASURED; i++) {
    const c = flow.next();
    const t0 = process.hrtime.bigint();
    const r = flow.apply(c);
    const dt = process.hrtime.bigint() - t0;
    applyNs += dt;
    histogram.recordValue(Number(dt));
    const n = r.events.length;
    events += n;
    for (let k = 0; k < n; k++) {
      const type = r.events.type(k);
      if (type === 'TradePrinted') trades++;
      else if (type === 'OrderTriggered') triggered++;
    }
    if (FORMAT) {
      const f0 = process.hrtime.bigint();
      formatted += r.events.views().length;
      formatNs += process.hrtime.bigint() - f0;
    }
    const kind = kindOf(c);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    let h = byKind.get(kind);
    if (h === undefined) {
      h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: 3 });
      byKind.set(kind, h);
    }
    h.recordValue(Number(dt));
    flow.track(c, r);
  }
  const wallNs = Number(process.hrtime.bigint() - wallStart);
  const us = (ns: number): string => (ns / 1000).toFixed(2);
  const perSecond = (MEASURED / (Number(applyNs) / 1e9)).toFixed(0);
  console.log(`\n## ${name}`);
  console.log(`commands measured      ${MEASURED} (after ${WARMUP} warm-up), resting orders at end: ${flow.live.length}`);
  console.log(`mix                    ${[...kinds].map(([k, n]) => `${k} ${(100 * n / MEASURED).toFixed(1)}%`).join(', ')}`);
  console.log(`trades / events        ${trades} / ${events} (${(events / MEASURED).toFixed(2)} events per command)`);
  if (stopShare > 0) console.log(`stops triggered        ${triggered}, untriggered at end: ${untriggered(core, symbols)}`);
  console.log(`throughput (apply)     ${perSecond} commands/s   (Σ apply time ${(Number(applyNs) / 1e6).toFixed(0)} ms)`);
  if (FORMAT) {
    const withFormat = MEASURED / (Number(applyNs + formatNs) / 1e9);
    console.log(`formatting (views)     ${formatted} events in ${(Number(formatNs) / 1e6).toFixed(0)} ms, ${(Number(formatNs) / formatted).toFixed(0)} ns per event; apply + format ${withFormat.toFixed(0)} commands/s`);
  }
  console.log(`throughput (loop)      ${(MEASURED / (wallNs / 1e9)).toFixed(0)} commands/s   (incl. flow generation and timing overhead)`);
  console.log(`latency per command    p50 ${us(histogram.getValueAtPercentile(50))} µs   p99 ${us(histogram.getValueAtPercentile(99))} µs   p99.9 ${us(histogram.getValueAtPercentile(99.9))} µs   max ${us(histogram.maxValue)} µs`);
  for (const [kind, h] of [...byKind].sort()) {
    console.log(`  ${kind.padEnd(20)} p50 ${us(h.getValueAtPercentile(50))} µs   p99 ${us(h.getValueAtPercentile(99))} µs   p99.9 ${us(h.getValueAtPercentile(99.9))} µs`);
  }
}

const placeKinds = new Map<string, Map<string, string>>();
/** The command's kind for the per-kind table: its type, or the order type and time in force of a new order (texts made once). */
function kindOf(c: Command): string {
  if (c.type !== 'PlaceOrder') return c.type;
  let byTif = placeKinds.get(c.orderType);
  if (byTif === undefined) placeKinds.set(c.orderType, byTif = new Map());
  let kind = byTif.get(c.timeInForce);
  if (kind === undefined) byTif.set(c.timeInForce, kind = `${c.orderType}/${c.timeInForce}`);
  return kind;
}

function untriggered(core: TradingCore, symbols: string[]): number {
  let n = 0;
  for (let a = 0; a < ACCOUNTS; a++) for (const o of core.openOrders(`acct${a}`)) if (o.triggerState === 'untriggered' && symbols.includes(o.symbol)) n++;
  return n;
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}${FORMAT ? ', every event also formatted (--format)' : ''}`);
scenario('1 instrument', 1);
scenario('50 instruments', 50);
scenario('1 instrument, 5% stop orders', 1, 0.05);
