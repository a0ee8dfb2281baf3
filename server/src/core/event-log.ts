/**
 * The events of the command being applied, recorded compactly: per event a kind, its sequence
 * number and time, references to the core's records (order, account, instrument) and the
 * integer amounts and texts of that moment, in columns reused from command to command. Nothing
 * is formatted and, once the columns have grown to the largest command seen, nothing is
 * allocated while a command runs.
 *
 * `view(i)` turns a record into the public `CoreEvent` (decimal strings), exactly as the core
 * used to build it at emission; that is done once, by whoever needs the text (`Engine.apply`,
 * a gateway). An order record keeps a copy of the order's mutable fields as they were at the
 * event, since the order changes again later in the same command.
 *
 * A record is valid until the next command starts: the columns are overwritten then.
 */
import type {
  BalanceChanged, CancelReason, CoreEvent, Liquidity, OrderStatus, OrderType, OrderView, Side, TimeInForce,
} from './api.js';
import { formatFixed } from './fixed.js';
import type { Account, AssetInfo, Instrument, Order, Position } from './model.js';
import { big, minus, type Units } from './units.js';
import {
  BalanceChangedView, BookLevelChangedView, OrderAcceptedView, OrderAmendedView, OrderCanceledView, OrderFilledView, OrderTriggeredView, OrderViewObject,
  PositionChangedView, TradePrintedView,
} from './view-objects.js';

/** What an order record shows: the order's fields that change after it is accepted. */
export interface OrderState {
  clientOrderId: string | undefined;
  priceText: string | undefined;
  stopPriceText: string | undefined;
  triggeredAt: number | undefined;
  quantity: Units | null;
  filled: Units;
  remaining: Units;
  filledQuote: Units;
  status: OrderStatus;
  cancelReason: CancelReason | undefined;
  updatedAt: number;
}

/** The public view of an order whose changing fields are `s` (the order itself, or a record of it). */
export function orderViewOf(o: Order, s: OrderState): OrderView {
  return new OrderViewObject(o, s);
}

/** Average entry price: open cost / |net|, truncated to the quote scale. */
export function averageEntry(net: bigint, cost: bigint, inst: Instrument): bigint {
  if (net === 0n) return 0n;
  const size = net < 0n ? -net : net;
  return (cost * inst.baseUnit) / size;
}

/** Event kinds of the compact records; READY holds an event already built (rare kinds). */
export const EventKind = {
  READY: 0, ACCEPTED: 1, AMENDED: 2, TRIGGERED: 3, CANCELED: 4, FILLED: 5, TRADE: 6, BALANCE: 7, POSITION: 8, LEVEL: 9,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

const TYPE_OF_KIND = [
  '', 'OrderAccepted', 'OrderAmended', 'OrderTriggered', 'OrderCanceled', 'OrderFilled', 'TradePrinted', 'BalanceChanged',
  'PositionChanged', 'BookLevelChanged',
] as const;

/** The compact events of one command, read by index (0 ≤ i < length). */
export class EventLog {
  length = 0;
  private readonly kinds: EventKind[] = [];
  private readonly seqs: number[] = [];
  private readonly times: number[] = [];
  // Per kind, what r1..r3, s1..s3, n1, u1 and b1..b3 hold is written beside the emitter below.
  private readonly r1: unknown[] = [];
  private readonly r2: unknown[] = [];
  private readonly r3: unknown[] = [];
  private readonly s1: (string | undefined)[] = [];
  private readonly s2: (string | undefined)[] = [];
  private readonly n1: number[] = [];
  private readonly u1: Units[] = [];
  private readonly b1: Units[] = [];
  private readonly b2: Units[] = [];
  private readonly b3: Units[] = [];
  // The order's changing fields at the event (order kinds).
  private readonly oClientOrderId: (string | undefined)[] = [];
  private readonly oPriceText: (string | undefined)[] = [];
  private readonly oStopPriceText: (string | undefined)[] = [];
  private readonly oTriggeredAt: (number | undefined)[] = [];
  private readonly oQuantity: (Units | null)[] = [];
  private readonly oPrice: Units[] = [];
  private readonly oFilled: Units[] = [];
  private readonly oRemaining: Units[] = [];
  private readonly oFilledQuote: Units[] = [];
  private readonly oStatus: OrderStatus[] = [];
  private readonly oCancelReason: (CancelReason | undefined)[] = [];
  private readonly oUpdatedAt: number[] = [];
  /** Scratch state handed to orderViewOf while building a view (single-threaded, copied at once). */
  private readonly scratch: OrderState = {
    clientOrderId: undefined, priceText: undefined, stopPriceText: undefined, triggeredAt: undefined, quantity: null,
    filled: 0, remaining: 0, filledQuote: 0, status: 'new', cancelReason: undefined, updatedAt: 0,
  };

  /** Forgets the previous command's records (their slots are overwritten as new ones come). */
  reset(): void {
    this.length = 0;
  }

  private next(kind: EventKind, seq: number, ts: number): number {
    const i = this.length++;
    this.kinds[i] = kind;
    this.seqs[i] = seq;
    this.times[i] = ts;
    return i;
  }

  /** A built event (rejections, admin, quotes): kept as it is. */
  ready(event: CoreEvent): void {
    const i = this.next(EventKind.READY, event.seq, event.ts);
    this.r1[i] = event;
  }

  /** An order event: r1 = the order, plus a copy of its changing fields. */
  order(kind: EventKind, seq: number, ts: number, o: Order): number {
    const i = this.next(kind, seq, ts);
    this.r1[i] = o;
    this.oClientOrderId[i] = o.clientOrderId;
    this.oPriceText[i] = o.priceText;
    this.oStopPriceText[i] = o.stopPriceText;
    this.oTriggeredAt[i] = o.triggeredAt;
    this.oQuantity[i] = o.quantity;
    this.oPrice[i] = o.price;
    this.oFilled[i] = o.filled;
    this.oRemaining[i] = o.remaining;
    this.oFilledQuote[i] = o.filledQuote;
    this.oStatus[i] = o.status;
    this.oCancelReason[i] = o.cancelReason;
    this.oUpdatedAt[i] = o.updatedAt;
    return i;
  }

  /** OrderAmended: n1 = 1 when the order kept its priority. */
  amended(seq: number, ts: number, o: Order, priorityKept: boolean): void {
    const i = this.order(EventKind.AMENDED, seq, ts, o);
    this.n1[i] = priorityKept ? 1 : 0;
  }

  /** OrderCanceled: s1 = reason. */
  canceled(seq: number, ts: number, o: Order, reason: CancelReason): void {
    const i = this.order(EventKind.CANCELED, seq, ts, o);
    this.s1[i] = reason;
  }

  /** OrderFilled: n1 = trade id, s1 = price text, s2 = liquidity, u1 = quantity, b2 = fee. */
  filled(seq: number, ts: number, o: Order, tradeId: number, priceText: string, quantity: Units, liquidity: Liquidity, fee: Units): void {
    const i = this.order(EventKind.FILLED, seq, ts, o);
    this.n1[i] = tradeId;
    this.s1[i] = priceText;
    this.s2[i] = liquidity;
    this.u1[i] = quantity;
    this.b2[i] = fee;
  }

  /** TradePrinted: r1 = instrument, r2 = maker, r3 = taker, n1 = trade id, s1 = price text, s2 = taker side, u1 = quantity. */
  trade(seq: number, ts: number, inst: Instrument, tradeId: number, priceText: string, quantity: Units, takerSide: Side, maker: Order, taker: Order): void {
    const i = this.next(EventKind.TRADE, seq, ts);
    this.r1[i] = inst;
    this.r2[i] = maker;
    this.r3[i] = taker;
    this.n1[i] = tradeId;
    this.s1[i] = priceText;
    this.s2[i] = takerSide;
    this.u1[i] = quantity;
  }

  /** BalanceChanged: r1 = account, r2 = asset, s1 = reason, b1 = total, b2 = hold. */
  balance(seq: number, ts: number, account: Account, asset: AssetInfo, total: Units, hold: Units, reason: BalanceChanged['reason']): void {
    const i = this.next(EventKind.BALANCE, seq, ts);
    this.r1[i] = account;
    this.r2[i] = asset;
    this.s1[i] = reason;
    this.b1[i] = total;
    this.b2[i] = hold;
  }

  /** PositionChanged: r1 = account, r2 = instrument, b1 = net, b2 = cost, b3 = realized. */
  position(seq: number, ts: number, account: Account, inst: Instrument, p: Position): void {
    const i = this.next(EventKind.POSITION, seq, ts);
    this.r1[i] = account;
    this.r2[i] = inst;
    this.b1[i] = p.net;
    this.b2[i] = p.cost;
    this.b3[i] = p.realized;
  }

  /** BookLevelChanged: r1 = instrument, n1 = bookSeq, s1 = side, s2 = price text, u1 = level quantity. */
  level(seq: number, ts: number, inst: Instrument, bookSeq: number, side: Side, priceText: string, quantity: Units): void {
    const i = this.next(EventKind.LEVEL, seq, ts);
    this.r1[i] = inst;
    this.n1[i] = bookSeq;
    this.s1[i] = side;
    this.s2[i] = priceText;
    this.u1[i] = quantity;
  }

  // --- Reading: ids and integer amounts, without building the event ------------------------

  kind(i: number): EventKind {
    return this.kinds[i] as EventKind;
  }

  /** The public event type of record i. */
  type(i: number): CoreEvent['type'] {
    const k = this.kinds[i] as EventKind;
    return k === EventKind.READY ? (this.r1[i] as CoreEvent).type : TYPE_OF_KIND[k] as CoreEvent['type'];
  }

  seq(i: number): number {
    return this.seqs[i] as number;
  }

  /** Order events: the order's id (a number; the public id is its decimal text). */
  orderId(i: number): number {
    return this.orderAt(i).id;
  }

  /** Order events: the order's account, symbol, side, type and time in force. */
  accountId(i: number): string {
    return this.orderAt(i).account.id;
  }

  symbol(i: number): string {
    return this.orderAt(i).inst.symbol;
  }

  side(i: number): Side {
    return this.orderAt(i).side;
  }

  orderType(i: number): OrderType {
    return this.orderAt(i).orderType;
  }

  timeInForce(i: number): TimeInForce {
    return this.orderAt(i).timeInForce;
  }

  /** Order events: the order's limit price in quote units at the event (0n for a market order). */
  orderPrice(i: number): bigint {
    this.orderAt(i);
    return big(this.oPrice[i] as Units);
  }

  /** Order events: the order's open base quantity and status at the event. */
  orderRemaining(i: number): bigint {
    this.orderAt(i);
    return big(this.oRemaining[i] as Units);
  }

  orderStatus(i: number): OrderStatus {
    this.orderAt(i);
    return this.oStatus[i] as OrderStatus;
  }

  levelSymbol(i: number): string {
    return this.levelAt(i).symbol;
  }

  levelSide(i: number): Side {
    this.levelAt(i);
    return this.s1[i] as Side;
  }

  levelPrice(i: number): string {
    this.levelAt(i);
    return this.s2[i] as string;
  }

  levelQuantity(i: number): bigint {
    this.levelAt(i);
    return big(this.u1[i] as Units);
  }

  balanceReason(i: number): BalanceChanged['reason'] {
    if (this.kinds[i] !== EventKind.BALANCE) throw new RangeError(`event ${i} is not a balance event`);
    return this.s1[i] as BalanceChanged['reason'];
  }

  private levelAt(i: number): Instrument {
    if (this.kinds[i] !== EventKind.LEVEL) throw new RangeError(`event ${i} is not a book level event`);
    return this.r1[i] as Instrument;
  }

  private orderAt(i: number): Order {
    const k = this.kinds[i] as EventKind;
    if (k < EventKind.ACCEPTED || k > EventKind.FILLED) throw new RangeError(`event ${i} is not an order event`);
    return this.r1[i] as Order;
  }

  // --- Building the public events -----------------------------------------------------------

  /** Every record as its public event, in order. */
  views(): CoreEvent[] {
    // Array.of, not `new Array(n)`: V8 can pretenure an Array constructor's site as it does a literal's (see result-objects.ts).
    const out: CoreEvent[] = Array.of();
    for (let i = 0; i < this.length; i++) out.push(this.view(i));
    return out;
  }

  /** Record i as the public event (decimal strings formatted now). */
  view(i: number): CoreEvent {
    const seq = this.seqs[i] as number;
    const ts = this.times[i] as number;
    switch (this.kinds[i] as EventKind) {
      case EventKind.READY:
        return this.r1[i] as CoreEvent;
      case EventKind.ACCEPTED:
        return new OrderAcceptedView(seq, ts, this.orderViewAt(i));
      case EventKind.AMENDED:
        return new OrderAmendedView(seq, ts, this.orderViewAt(i), this.n1[i] === 1);
      case EventKind.TRIGGERED:
        return new OrderTriggeredView(seq, ts, this.orderViewAt(i));
      case EventKind.CANCELED:
        return new OrderCanceledView(seq, ts, this.orderViewAt(i), this.s1[i] as CancelReason);
      case EventKind.FILLED: {
        const inst = (this.r1[i] as Order).inst;
        return new OrderFilledView(
          seq, ts, this.orderViewAt(i), this.n1[i] as number, this.s1[i] as string, formatFixed(this.u1[i] as Units, inst.base.decimals),
          this.s2[i] as Liquidity, formatFixed(this.b2[i] as Units, inst.quote.decimals), inst.quote.asset,
        );
      }
      case EventKind.TRADE: {
        const inst = this.r1[i] as Instrument;
        return new TradePrintedView(
          seq, ts, inst.symbol, this.n1[i] as number, this.s1[i] as string, formatFixed(this.u1[i] as Units, inst.base.decimals),
          this.s2[i] as Side, (this.r2[i] as Order).idText, (this.r3[i] as Order).idText,
        );
      }
      case EventKind.BALANCE: {
        const asset = this.r2[i] as AssetInfo;
        const d = asset.decimals;
        const total = this.b1[i] as Units;
        const hold = this.b2[i] as Units;
        return new BalanceChangedView(
          seq, ts, (this.r1[i] as Account).id, asset.asset,
          formatFixed(total, d), formatFixed(minus(total, hold), d), formatFixed(hold, d), this.s1[i] as BalanceChanged['reason'],
        );
      }
      case EventKind.POSITION: {
        const inst = this.r2[i] as Instrument;
        const net = big(this.b1[i] as Units);
        return new PositionChangedView(
          seq, ts, (this.r1[i] as Account).id, inst.symbol, formatFixed(net, inst.base.decimals),
          formatFixed(averageEntry(net, big(this.b2[i] as Units), inst), inst.quote.decimals), formatFixed(this.b3[i] as Units, inst.quote.decimals),
        );
      }
      case EventKind.LEVEL: {
        const inst = this.r1[i] as Instrument;
        return new BookLevelChangedView(
          seq, ts, inst.symbol, this.n1[i] as number, this.s1[i] as Side, this.s2[i] as string, formatFixed(this.u1[i] as Units, inst.base.decimals),
        );
      }
    }
  }

  private orderViewAt(i: number): OrderView {
    const s = this.scratch;
    s.clientOrderId = this.oClientOrderId[i];
    s.priceText = this.oPriceText[i];
    s.stopPriceText = this.oStopPriceText[i];
    s.triggeredAt = this.oTriggeredAt[i];
    s.quantity = this.oQuantity[i] as Units | null;
    s.filled = this.oFilled[i] as Units;
    s.remaining = this.oRemaining[i] as Units;
    s.filledQuote = this.oFilledQuote[i] as Units;
    s.status = this.oStatus[i] as OrderStatus;
    s.cancelReason = this.oCancelReason[i];
    s.updatedAt = this.oUpdatedAt[i] as number;
    return orderViewOf(this.r1[i] as Order, s);
  }
}
