/**
 * The core state in a binary layout that loads fast: the part that grows with the work (live
 * orders, the books, recently finished orders) as fixed records decoded straight into the
 * core's own objects, with no intermediate JSON objects to parse and collect, and amounts as
 * 64-bit integers instead of decimal strings; everything small (configuration, assets,
 * instruments and their market data, accounts, OTC quotes) stays the JSON of `snapshot.ts`.
 *
 *   u32 layout version | u32 length | UTF-8 JSON (the state without orders and books)
 *   | string table: u32 count, then per string u32 length + UTF-8 bytes
 *   | live orders (ascending id): u32 count + order records
 *   | finished orders (oldest first): u32 count + order records
 *   | books, per instrument in the JSON's order, bids then asks: u32 levels, then per level
 *     (worst to best) u32 count + that many u32 positions in the live orders, in queue order
 *
 * Every string an order carries (account, symbol, enums, client order id, quote id) is a u32
 * index into the string table (clientOrderId/quoteId: index + 1, 0 for none). An amount is a
 * tag byte: 0 = zero, 1 = a safe integer follows as a float64, 2 = u32 length + decimal digits
 * follow (anything larger), 3 = the same value as the order's previous amount (an unfilled
 * order's remaining quantity is its quantity; the restored orders then share one bigint).
 * Integers are little-endian.
 */
import type { BinaryCoreSnapshot, CancelReason, OrderStatus, OrderType, Side, StpMode, TimeInForce } from './api.js';
import { formatFixed } from './fixed.js';
import { bookSide } from './lifecycle.js';
import { Order, type Instrument } from './model.js';
import type { PriceLevel } from './model.js';
import { addRestoredLive, addWaitingStops, queueRestored, restoreBase, restoreQuotes, snapshotBase, type SnapshotState } from './snapshot.js';
import type { CoreState } from './state.js';
import { big, units, type Units } from './units.js';

/** Layout 2 adds the stop fields (layout 1 files, which never set those flags, still read). */
const LAYOUT_VERSION = 2;
const FLAG_POST_ONLY = 1;
const FLAG_EXPIRES = 2;
/** A stop or stop-limit order: its stop price (amount) and stop time (f64) follow updatedAt. */
const FLAG_STOP = 4;
/** A triggered stop: its trigger time (f64) follows. */
const FLAG_TRIGGERED = 8;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const AMOUNT_ZERO = 0;
const AMOUNT_SAFE = 1;
const AMOUNT_DIGITS = 2;
const AMOUNT_REPEAT = 3;
/** Slots of the reader's cache of recent amounts (a power of two). */
const RECENT_AMOUNTS = 4096;

/** An append-only byte buffer that grows by doubling. */
class Writer {
  private bytes = Buffer.allocUnsafe(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.bytes.copy(bigger, 0, 0, this.length);
    this.bytes = bigger;
  }

  u8(v: number): void {
    this.room(1);
    this.bytes[this.length++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.bytes.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.bytes.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  text(v: string): void {
    const n = Buffer.byteLength(v);
    this.u32(n);
    this.room(n);
    this.bytes.write(v, this.length, 'utf8');
    this.length += n;
  }

  /** The previous amount written, for AMOUNT_REPEAT (reset at each order). */
  lastAmount: Units | undefined;

  /** An amount, a bigint or an order's `Units` (the same bytes for the same value either way). */
  amount(v: Units): void {
    if (v === 0n || v === 0) this.u8(AMOUNT_ZERO);
    else if (v === this.lastAmount) this.u8(AMOUNT_REPEAT);
    else if (typeof v === 'number') {
      this.u8(AMOUNT_SAFE);
      this.f64(v);
    } else if (v >= MIN_SAFE && v <= MAX_SAFE) {
      this.u8(AMOUNT_SAFE);
      this.f64(Number(v));
    } else {
      this.u8(AMOUNT_DIGITS);
      this.text(v.toString());
    }
    this.lastAmount = v;
  }

  done(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}

/** Reads what Writer wrote; any read past the end throws (RangeError from Buffer). */
class Reader {
  at = 0;
  constructor(private readonly bytes: Buffer) {}

  u8(): number {
    if (this.at >= this.bytes.length) throw new RangeError('binary core snapshot is truncated');
    return this.bytes[this.at++]!;
  }

  u32(): number {
    const v = this.bytes.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }

  f64(): number {
    const v = this.bytes.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }

  text(): string {
    const n = this.u32();
    if (this.at + n > this.bytes.length) throw new RangeError('binary core snapshot is truncated');
    const v = this.bytes.toString('utf8', this.at, this.at + n);
    this.at += n;
    return v;
  }

  lastAmount: Units | undefined;
  /** Safe amounts read recently, by their low bits: orders at one price or of one size share one bigint. */
  private readonly recentValues = new Float64Array(RECENT_AMOUNTS);
  private readonly recentAmounts: (bigint | undefined)[] = new Array<bigint | undefined>(RECENT_AMOUNTS).fill(undefined);

  amount(): bigint {
    const tag = this.u8();
    let v: bigint;
    if (tag === AMOUNT_ZERO) v = 0n;
    else if (tag === AMOUNT_SAFE) v = this.safeAmount(this.f64());
    else if (tag === AMOUNT_DIGITS) v = BigInt(this.text());
    else if (tag === AMOUNT_REPEAT && this.lastAmount !== undefined) v = big(this.lastAmount);
    else throw new Error(`binary core snapshot: unknown amount tag ${tag}`);
    this.lastAmount = v;
    return v;
  }

  /** An amount as `Units`: an order's price or quantity. */
  units(): Units {
    const tag = this.u8();
    let v: Units;
    if (tag === AMOUNT_ZERO) v = 0;
    else if (tag === AMOUNT_SAFE) v = this.f64();
    else if (tag === AMOUNT_DIGITS) v = units(BigInt(this.text()));
    else if (tag === AMOUNT_REPEAT && this.lastAmount !== undefined) v = typeof this.lastAmount === 'bigint' ? units(this.lastAmount) : this.lastAmount;
    else throw new Error(`binary core snapshot: unknown amount tag ${tag}`);
    this.lastAmount = v;
    return v;
  }

  private safeAmount(value: number): bigint {
    const slot = (value >>> 0) & (RECENT_AMOUNTS - 1);
    const cached = this.recentAmounts[slot];
    if (cached !== undefined && this.recentValues[slot] === value) return cached;
    const v = BigInt(value);
    this.recentValues[slot] = value;
    this.recentAmounts[slot] = v;
    return v;
  }

  get atEnd(): boolean {
    return this.at === this.bytes.length;
  }
}

/** Interns strings as indexes into one table. */
class Strings {
  private readonly index = new Map<string, number>();
  readonly list: string[] = [];

  of(v: string): number {
    let i = this.index.get(v);
    if (i === undefined) {
      i = this.list.length;
      this.index.set(v, i);
      this.list.push(v);
    }
    return i;
  }
}

function writeOrder(out: Writer, strings: Strings, instrumentIndex: Map<Instrument, number>, o: Order): void {
  out.lastAmount = undefined;
  out.f64(o.id);
  out.u32(strings.of(o.account.id));
  out.u32(o.clientOrderId === undefined ? 0 : strings.of(o.clientOrderId) + 1);
  out.u32(instrumentIndex.get(o.inst)!);
  out.u32(strings.of(o.side));
  out.u32(strings.of(o.orderType));
  out.u32(strings.of(o.timeInForce));
  out.u32(strings.of(o.stp));
  out.u32(strings.of(o.status));
  out.u32(o.cancelReason === undefined ? 0 : strings.of(o.cancelReason) + 1);
  out.u32(o.quoteId === undefined ? 0 : strings.of(o.quoteId) + 1);
  out.u8((o.postOnly ? FLAG_POST_ONLY : 0) | (o.expireAt !== undefined ? FLAG_EXPIRES : 0) | (o.stopPrice !== null ? FLAG_STOP : 0) | (o.triggeredAt !== undefined ? FLAG_TRIGGERED : 0));
  out.amount(o.price);
  // Quantities that may be absent: a presence byte, then the amount.
  out.u8(o.quantity === null ? 0 : 1);
  if (o.quantity !== null) out.amount(o.quantity);
  out.u8(o.quoteQuantity === null ? 0 : 1);
  if (o.quoteQuantity !== null) out.amount(o.quoteQuantity);
  out.amount(o.remaining);
  out.amount(o.filled);
  out.amount(o.filledQuote);
  out.amount(o.feeNumerator);
  out.amount(o.held);
  if (o.expireAt !== undefined) out.f64(o.expireAt);
  out.f64(o.createdAt);
  out.f64(o.updatedAt);
  if (o.stopPrice !== null) {
    out.amount(o.stopPrice);
    out.f64(o.stopTime);
  }
  if (o.triggeredAt !== undefined) out.f64(o.triggeredAt);
}

function stringAt(strings: string[], i: number): string {
  const v = strings[i];
  if (v === undefined) throw new Error(`binary core snapshot: string ${i} is not in the table`);
  return v;
}

/** `live`: a live limit order takes its price text from its level when the book is rebuilt. */
function readOrder(input: Reader, strings: string[], st: CoreState, instruments: Instrument[], live: boolean): Order {
  input.lastAmount = undefined;
  const id = input.f64();
  const accountId = stringAt(strings, input.u32());
  const clientRef = input.u32();
  const inst = instruments[input.u32()];
  const side = stringAt(strings, input.u32()) as Side;
  const orderType = stringAt(strings, input.u32()) as OrderType;
  const timeInForce = stringAt(strings, input.u32()) as TimeInForce;
  const stp = stringAt(strings, input.u32()) as StpMode;
  const status = stringAt(strings, input.u32()) as OrderStatus;
  const reasonRef = input.u32();
  const quoteRef = input.u32();
  const flags = input.u8();
  const price = input.units();
  const quantity = input.u8() === 0 ? null : input.units();
  const quoteQuantity = input.u8() === 0 ? null : input.amount();
  const remaining = input.units();
  const filled = input.units();
  const filledQuote = input.units();
  const feeNumerator = input.units();
  const held = input.units();
  const expireAt = flags & FLAG_EXPIRES ? input.f64() : undefined;
  const createdAt = input.f64();
  const updatedAt = input.f64();
  const stopPrice = flags & FLAG_STOP ? input.units() : null;
  const stopTime = flags & FLAG_STOP ? input.f64() : 0;
  const triggeredAt = flags & FLAG_TRIGGERED ? input.f64() : undefined;
  const account = st.accounts.get(accountId);
  if (account === undefined || inst === undefined) throw new Error(`snapshot order ${id} refers to an unknown account or symbol`);
  const o = new Order(
    id, account, clientRef === 0 ? undefined : stringAt(strings, clientRef - 1), inst, side, orderType, timeInForce, (flags & FLAG_POST_ONLY) !== 0, stp,
    price, quantity, quoteQuantity, remaining, expireAt, createdAt, updatedAt,
  );
  o.filled = filled;
  o.filledQuote = filledQuote;
  o.feeNumerator = feeNumerator;
  o.held = held;
  o.status = status;
  o.cancelReason = reasonRef === 0 ? undefined : (stringAt(strings, reasonRef - 1) as CancelReason);
  if (orderType === 'stop_limit' || (orderType === 'limit' && !live)) o.priceText = formatFixed(price, inst.quote.decimals);
  o.quoteId = quoteRef === 0 ? undefined : stringAt(strings, quoteRef - 1);
  if (stopPrice !== null) {
    o.stopPrice = stopPrice;
    o.stopPriceText = formatFixed(stopPrice, inst.quote.decimals);
    o.stopTime = stopTime;
    o.triggeredAt = triggeredAt;
  }
  return o;
}

/** The state in the binary layout; the bytes share nothing with the live state. */
export function takeBinarySnapshot(st: CoreState): BinaryCoreSnapshot {
  const base = snapshotBase(st);
  const instruments = [...st.instruments.values()];
  const instrumentIndex = new Map(instruments.map((inst, i) => [inst, i]));
  const strings = new Strings();
  const body = new Writer();

  const live: Order[] = [];
  for (const a of st.accounts.values()) for (const o of a.orders.values()) live.push(o);
  live.sort((x, y) => x.id - y.id);
  const position = new Map<Order, number>();
  body.u32(live.length);
  live.forEach((o, i) => {
    position.set(o, i);
    writeOrder(body, strings, instrumentIndex, o);
  });
  body.u32(st.finished.size);
  for (const o of st.finished.values()) writeOrder(body, strings, instrumentIndex, o);
  for (const inst of instruments) {
    for (const side of [inst.bids, inst.asks]) {
      body.u32(side.size);
      for (let level = side.worst() ?? null; level !== null; level = level.better) {
        body.u32(level.count);
        for (let n = level.head as Order | null; n !== null; n = n.next as Order | null) {
          const at = position.get(n);
          // A booked order that is not live would be a core bug; never write it as some other order.
          if (at === undefined) throw new Error(`order ${n.id} is in the ${inst.symbol} book but not live`);
          body.u32(at);
        }
      }
    }
  }

  const head = new Writer();
  head.u32(LAYOUT_VERSION);
  head.text(JSON.stringify(base));
  head.u32(strings.list.length);
  for (const s of strings.list) head.text(s);
  return { version: 2, seq: st.seq, bytes: Buffer.concat([head.done(), body.done()]) };
}

/** Rebuilds the state from `takeBinarySnapshot`'s bytes; throws on anything malformed. */
export function restoreBinaryState(snapshot: BinaryCoreSnapshot): CoreState {
  const bytes = Buffer.from(snapshot.bytes.buffer, snapshot.bytes.byteOffset, snapshot.bytes.byteLength);
  const input = new Reader(bytes);
  const layout = input.u32();
  if (layout !== LAYOUT_VERSION && layout !== 1) throw new Error(`unsupported binary core snapshot layout ${layout}`);
  const base = JSON.parse(input.text()) as SnapshotState;
  const st = restoreBase(base);
  const instruments = base.instruments.map((i) => st.instruments.get(i.symbol) as Instrument);
  const strings = Array.from({ length: input.u32() }, () => input.text());

  const live: Order[] = new Array(input.u32());
  const waiting: Order[] = [];
  for (let i = 0; i < live.length; i++) {
    const o = readOrder(input, strings, st, instruments, true);
    if (o.untriggered) waiting.push(o);
    live[i] = o;
  }
  addRestoredLive(st, live);
  addWaitingStops(waiting);
  const finished = input.u32();
  for (let i = 0; i < finished; i++) {
    const o = readOrder(input, strings, st, instruments, false);
    st.finished.restore(o);
  }
  for (const inst of instruments) {
    for (const sideName of ['buy', 'sell'] as const) {
      // Worst to best, as written: the side is built from them in one pass, with no search.
      const levels: PriceLevel[] = [];
      const count = input.u32();
      for (let l = 0; l < count; l++) {
        const queued = input.u32();
        let level: PriceLevel | undefined;
        for (let k = 0; k < queued; k++) {
          const o = live[input.u32()];
          if (o === undefined) throw new Error('snapshot book refers to an order that is not live');
          level = queueRestored(inst, sideName, level, o);
        }
        if (level === undefined) throw new Error(`snapshot book of ${inst.symbol} has an empty level`);
        levels.push(level);
      }
      bookSide(inst, sideName).load(levels);
    }
  }
  if (!input.atEnd) throw new Error('binary core snapshot has trailing bytes');
  // A live limit order outside the book (none in a consistent state) still gets its price text.
  for (const o of live) if (o.priceText === undefined && o.orderType === 'limit') o.priceText = formatFixed(o.price, o.inst.quote.decimals);
  restoreQuotes(st, base);
  return st;
}
