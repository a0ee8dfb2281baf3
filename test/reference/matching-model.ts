/**
 * A deliberately naive reference model of the trading rules, written from
 * docs/trading-rules.md alone (not from server/src/core), for differential testing.
 *
 * One instrument, BTC-USD: BTC has 8 decimals, USD 6; tick 0.01, lot 0.0001. Everything is
 * kept in plain arrays and found by linear scans; priority is recomputed by sorting each time.
 * Amounts are bigint counts of the smallest unit: prices and quote amounts in micro-USD,
 * quantities in satoshi. Notional = price × quantity / 10^8 (exact by the tick/lot rule).
 * The instrument has no price band, so a stop buy by quantity (capped by the band) is refused.
 */
import { ceilDivModel } from '../core/decimal-model.js';

export type Side = 'buy' | 'sell';
export type Tif = 'GTC' | 'IOC' | 'FOK' | 'GTD';
export type Stp = 'cancel_newest' | 'cancel_oldest' | 'cancel_both' | 'decrement_and_cancel';
export type Asset = 'BTC' | 'USD';
export type StopKind = 'stop' | 'stop_limit';

export const BASE_UNIT = 100_000_000n;
export const FEE_ACCOUNT = 'fees';

export interface ModelSpec { minNotional: bigint; minQuantity: bigint; maxQuantity: bigint; tick: bigint; lot: bigint }

export interface MOrder {
  id: number;
  account: string;
  clientOrderId: string | undefined;
  side: Side;
  /** Trades as a market order: a market order, or a stop (once triggered). */
  market: boolean;
  /** Set for stop and stop-limit orders. */
  stop: StopKind | undefined;
  stopPrice: bigint | null;
  /** An untriggered stop: live, holding, but not in the book. */
  waiting: boolean;
  /** Among waiting stops at one stop price, smaller triggers first. */
  stopTime: number;
  tif: Tif;
  postOnly: boolean;
  stp: Stp;
  /** Limit price; for a market order the price it may trade to (null: none). */
  limit: bigint | null;
  /** Total quantity (null for a market buy by quote amount). */
  quantity: bigint | null;
  remaining: bigint;
  filled: bigint;
  /** What the order holds now (quote for a buy, base for a sell); for a buy by quote amount, its unspent budget. */
  held: bigint;
  /** Σ notional × bps of the order's charged (non-negative rate) fills, for the rounding rule. */
  feeNumerator: bigint;
  expireAt: number | undefined;
  /** Queue position: smaller is earlier. */
  time: number;
}

export interface Fill { orderId: number; price: bigint; quantity: bigint; liquidity: 'maker' | 'taker'; fee: bigint }

export type ModelCommand =
  | { type: 'Place'; account: string; side: Side; market: boolean; stop?: StopKind; stopPrice?: bigint; tif: Tif; price?: bigint; quantity?: bigint; quoteQuantity?: bigint; postOnly: boolean; stp?: Stp; clientOrderId?: string; expireAt?: number }
  | { type: 'Amend'; account: string; orderId?: number; clientOrderId?: string; newPrice?: bigint; newQuantity?: bigint; newClientOrderId?: string; newStopPrice?: bigint }
  | { type: 'Cancel'; account: string; orderId?: number; clientOrderId?: string }
  | { type: 'CancelAll'; account: string }
  | { type: 'Expire' }
  | { type: 'Deposit'; account: string; asset: Asset; amount: bigint }
  | { type: 'Withdraw'; account: string; asset: Asset; amount: bigint }
  | { type: 'Kill'; account: string; active: boolean }
  | { type: 'Status'; status: Status };

export type Status = 'open' | 'halted' | 'cancel_only' | 'post_only';

/** `triggered`: the ids of the stops the command triggered, in the order they entered the book. */
export interface ModelResult { ok: boolean; code?: string; fills: Fill[]; triggered: number[] }

interface Account { kill: boolean; makerBps: bigint; takerBps: bigint; balances: Record<Asset, { total: bigint; hold: bigint }> }

export class MatchingModel {
  readonly accounts = new Map<string, Account>();
  /** Every live order (resting or not yet done); ends are removed. */
  live: MOrder[] = [];
  clock = 0;
  status: Status = 'open';
  /** The price of the last trade (null before the first). */
  lastPrice: bigint | null = null;
  private nextId = 1;
  private nextTime = 1;
  private nextStopTime = 1;
  private fills: Fill[] = [];
  private triggered: number[] = [];

  constructor(readonly spec: ModelSpec) {
    this.accounts.set(FEE_ACCOUNT, this.newAccount(0n, 0n));
  }

  private newAccount(makerBps: bigint, takerBps: bigint): Account {
    return { kill: false, makerBps, takerBps, balances: { BTC: { total: 0n, hold: 0n }, USD: { total: 0n, hold: 0n } } };
  }

  addAccount(id: string, makerBps: number, takerBps: number): void {
    this.accounts.set(id, this.newAccount(BigInt(makerBps), BigInt(takerBps)));
  }

  // ---- reading ------------------------------------------------------------------------------

  notional(price: bigint, quantity: bigint): bigint {
    return (price * quantity) / BASE_UNIT;
  }

  /** Resting orders of a side, best price first, then earliest. */
  queue(side: Side): MOrder[] {
    const resting = this.live.filter((o) => o.side === side && !o.market && !o.waiting);
    return resting.sort((a, b) => {
      if (a.limit !== b.limit) return side === 'buy' ? (a.limit! > b.limit! ? -1 : 1) : (a.limit! < b.limit! ? -1 : 1);
      return a.time - b.time;
    });
  }

  /** Past its expireAt by the model's clock (matching would expire it, not fill it). */
  expired(o: MOrder): boolean {
    return o.expireAt !== undefined && o.expireAt <= this.clock;
  }

  private holdBps(a: Account): bigint {
    let m = a.makerBps > a.takerBps ? a.makerBps : a.takerBps;
    if (m < 0n) m = 0n;
    return m;
  }

  /** The most fee `notional` more of fills can add to the order's charged total, at the account's highest rate. */
  private maxFee(o: { feeNumerator: bigint }, account: Account, notional: bigint): bigint {
    const bps = this.holdBps(account);
    return ceilDivModel(o.feeNumerator + notional * bps, 10_000n) - ceilDivModel(o.feeNumerator, 10_000n);
  }

  /** What an open order must hold (the Holds table). */
  private holdNeed(o: MOrder): bigint {
    if (o.side === 'sell') return o.remaining;
    if (o.quantity === null) return o.held;
    const n = this.notional(o.limit!, o.remaining);
    return n + this.maxFee(o, this.accounts.get(o.account)!, n);
  }

  private bal(account: string, asset: Asset) {
    return this.accounts.get(account)!.balances[asset];
  }

  private setHold(o: MOrder, need: bigint): void {
    const b = this.bal(o.account, o.side === 'buy' ? 'USD' : 'BTC');
    b.hold += need - o.held;
    o.held = need;
  }

  private end(o: MOrder): void {
    this.setHold(o, 0n);
    this.live = this.live.filter((x) => x !== o);
  }

  private findLive(account: string, orderId: number | undefined, clientOrderId: string | undefined): MOrder | undefined {
    return this.live.find((o) => o.account === account && (orderId !== undefined ? o.id === orderId : o.clientOrderId === clientOrderId));
  }

  // ---- commands -----------------------------------------------------------------------------

  apply(ts: number, c: ModelCommand): ModelResult {
    if (ts > this.clock) this.clock = ts;
    this.fills = [];
    this.triggered = [];
    const code = this.dispatch(c);
    if (code !== undefined) return { ok: false, code, fills: [], triggered: [] };
    this.triggerStops();
    return { ok: true, fills: this.fills, triggered: this.triggered };
  }

  // ---- stops --------------------------------------------------------------------------------

  /** Whether the last price has reached a waiting stop (a buy: last >= stop; a sell: last <= stop). */
  private reached(o: MOrder): boolean {
    if (!o.waiting || this.lastPrice === null) return false;
    return o.side === 'buy' ? this.lastPrice >= o.stopPrice! : this.lastPrice <= o.stopPrice!;
  }

  /**
   * After the command: every stop the last price reached triggers, buys by lowest stop price,
   * sells by highest, earlier first at one price, buys before sells; they enter the book one at
   * a time, and stops their trades reach join the end of the line.
   */
  private triggerStops(): void {
    const line: MOrder[] = [];
    const collect = () => {
      // A stop in the line is triggered but not in the book until its turn comes.
      const byStop = (side: Side) => this.live.filter((o) => o.side === side && this.reached(o) && !line.includes(o)).sort((a, b) => {
        if (a.stopPrice !== b.stopPrice) return side === 'buy' ? (a.stopPrice! < b.stopPrice! ? -1 : 1) : (a.stopPrice! > b.stopPrice! ? -1 : 1);
        return a.stopTime - b.stopTime;
      });
      for (const o of [...byStop('buy'), ...byStop('sell')]) {
        if (this.expired(o)) {
          this.end(o);
          continue;
        }
        line.push(o);
      }
    };
    collect();
    for (let i = 0; i < line.length; i++) {
      const o = line[i]!;
      o.waiting = false;
      this.triggered.push(o.id);
      // A stop trades as a market order (no band here: no limit), a stop-limit as a limit order.
      const stop = this.match(o, o.market ? null : o.limit);
      this.settle(o, stop);
      collect();
    }
  }

  /** Placing a stop or stop-limit order: it waits, holding, until the last price reaches its stop price. */
  private placeStop(c: Extract<ModelCommand, { type: 'Place' }>, account: Account): string | undefined {
    if (c.stop === 'stop_limit') {
      const bad = this.checkPrice(c.price!);
      if (bad) return bad;
    }
    const badStop = this.checkPrice(c.stopPrice!);
    if (badStop) return badStop;
    if (this.lastPrice !== null && (c.side === 'buy' ? c.stopPrice! <= this.lastPrice : c.stopPrice! >= this.lastPrice)) return 'STOP_PRICE_WRONG_SIDE';
    if (c.quoteQuantity !== undefined) {
      if (c.quoteQuantity < this.spec.minNotional) return 'NOTIONAL_TOO_SMALL';
    } else {
      const bad = this.checkQuantity(c.quantity!);
      if (bad) return bad;
      if (c.stop === 'stop_limit' && this.notional(c.price!, c.quantity!) < this.spec.minNotional) return 'NOTIONAL_TOO_SMALL';
    }
    // No price band here, so nothing would cap a stop buy by quantity.
    if (c.stop === 'stop' && c.side === 'buy' && c.quantity !== undefined) return 'INVALID_ORDER';
    let need: bigint;
    if (c.side === 'sell') need = c.quantity!;
    else if (c.quoteQuantity !== undefined) need = c.quoteQuantity;
    else {
      const n = this.notional(c.price!, c.quantity!);
      need = n + this.maxFee({ feeNumerator: 0n }, account, n);
    }
    const b = account.balances[c.side === 'buy' ? 'USD' : 'BTC'];
    if (b.total - b.hold < need) return 'INSUFFICIENT_FUNDS';
    const o: MOrder = {
      id: this.nextId++, account: c.account, clientOrderId: c.clientOrderId, side: c.side, market: c.stop === 'stop', stop: c.stop,
      stopPrice: c.stopPrice!, waiting: true, stopTime: this.nextStopTime++, tif: c.tif, postOnly: false, stp: c.stp ?? 'cancel_newest',
      limit: c.stop === 'stop_limit' ? c.price! : null, quantity: c.quantity ?? null, remaining: c.quantity ?? 0n, filled: 0n, held: 0n,
      feeNumerator: 0n, expireAt: c.expireAt, time: 0,
    };
    this.live.push(o);
    this.setHold(o, need);
    return undefined;
  }

  /** Amending a waiting stop: nothing trades; its hold follows, and a new price or a larger quantity gives it a new time. */
  private amendWaiting(c: Extract<ModelCommand, { type: 'Amend' }>, o: MOrder): string | undefined {
    let price = o.limit;
    if (c.newPrice !== undefined) {
      if (o.stop !== 'stop_limit') return 'INVALID_ORDER';
      const bad = this.checkPrice(c.newPrice);
      if (bad) return bad;
      price = c.newPrice;
    }
    let stopPrice = o.stopPrice!;
    if (c.newStopPrice !== undefined) {
      const bad = this.checkPrice(c.newStopPrice);
      if (bad) return bad;
      if (this.lastPrice !== null && (o.side === 'buy' ? c.newStopPrice <= this.lastPrice : c.newStopPrice >= this.lastPrice)) return 'STOP_PRICE_WRONG_SIDE';
      stopPrice = c.newStopPrice;
    }
    let quantity = o.quantity;
    if (c.newQuantity !== undefined) {
      if (o.quantity === null) return 'INVALID_ORDER';
      const bad = this.checkQuantity(c.newQuantity);
      if (bad) return bad;
      quantity = c.newQuantity;
    }
    let clientOrderId = o.clientOrderId;
    if (c.newClientOrderId !== undefined && c.newClientOrderId !== o.clientOrderId) {
      if (this.live.some((x) => x.account === c.account && x.clientOrderId === c.newClientOrderId)) return 'DUPLICATE_CLIENT_ORDER_ID';
      clientOrderId = c.newClientOrderId;
    }
    const changed = price !== o.limit || stopPrice !== o.stopPrice || quantity !== o.quantity;
    if (!changed && clientOrderId === o.clientOrderId) return 'AMEND_NO_CHANGE';
    if (o.stop === 'stop_limit' && (price !== o.limit || quantity !== o.quantity) && this.notional(price!, quantity!) < this.spec.minNotional) return 'NOTIONAL_TOO_SMALL';
    const account = this.accounts.get(c.account)!;
    let need = o.held;
    if (o.side === 'sell') need = quantity!;
    else if (quantity !== null) need = this.notional(price!, quantity) + this.maxFee({ feeNumerator: 0n }, account, this.notional(price!, quantity));
    const b = account.balances[o.side === 'buy' ? 'USD' : 'BTC'];
    if (need - o.held > b.total - b.hold) return 'INSUFFICIENT_FUNDS';
    if (price !== o.limit || stopPrice !== o.stopPrice || (quantity !== null && quantity > o.quantity!)) o.stopTime = this.nextStopTime++;
    o.clientOrderId = clientOrderId;
    o.limit = price;
    o.stopPrice = stopPrice;
    o.quantity = quantity;
    if (quantity !== null) o.remaining = quantity;
    this.setHold(o, need);
    return undefined;
  }

  private dispatch(c: ModelCommand): string | undefined {
    switch (c.type) {
      case 'Place': return this.place(c);
      case 'Amend': return this.amend(c);
      case 'Cancel': {
        const o = this.findLive(c.account, c.orderId, c.clientOrderId);
        if (o === undefined) return 'ORDER_NOT_FOUND';
        this.end(o);
        return undefined;
      }
      case 'CancelAll':
        for (const o of this.live.filter((x) => x.account === c.account).sort((a, b) => a.id - b.id)) this.end(o);
        return undefined;
      case 'Expire': {
        const due = this.live.filter((o) => this.expired(o)).sort((a, b) => a.expireAt! - b.expireAt! || a.id - b.id);
        for (const o of due) this.end(o);
        return undefined;
      }
      case 'Deposit':
        this.bal(c.account, c.asset).total += c.amount;
        return undefined;
      case 'Kill':
        // Activating cancels every order of the account, in ascending id.
        this.accounts.get(c.account)!.kill = c.active;
        if (c.active) for (const o of this.live.filter((x) => x.account === c.account).sort((a, b) => a.id - b.id)) this.end(o);
        return undefined;
      case 'Status':
        this.status = c.status;
        return undefined;
      case 'Withdraw': {
        const b = this.bal(c.account, c.asset);
        if (b.total - b.hold < c.amount) return 'INSUFFICIENT_FUNDS';
        b.total -= c.amount;
        return undefined;
      }
    }
  }

  private checkQuantity(q: bigint): string | undefined {
    if (q <= 0n) return 'INVALID_QUANTITY';
    if (q % this.spec.lot !== 0n) return 'QUANTITY_OFF_LOT';
    if (q < this.spec.minQuantity) return 'QUANTITY_TOO_SMALL';
    if (q > this.spec.maxQuantity) return 'QUANTITY_TOO_LARGE';
    return undefined;
  }

  private checkPrice(p: bigint): string | undefined {
    if (p <= 0n) return 'INVALID_PRICE';
    if (p % this.spec.tick !== 0n) return 'PRICE_OFF_TICK';
    return undefined;
  }

  /** Price of the deepest ask level a market buy of `quantity` reaches, counting only asks it may trade with. */
  private sweepPrice(account: string, quantity: bigint, stp: Stp): bigint {
    const asks = this.queue('sell');
    let left = quantity;
    let price = asks[0]!.limit!;
    for (const o of asks) {
      if (this.expired(o)) continue;
      if (o.account === account && stp === 'cancel_oldest') continue;
      price = o.limit!;
      if (o.account === account && stp !== 'decrement_and_cancel') return price;
      left -= o.remaining;
      if (left <= 0n) return price;
    }
    return price;
  }

  private fokFillable(account: string, side: Side, quantity: bigint, limit: bigint | null, stp: Stp): boolean {
    let sum = 0n;
    for (const o of this.queue(side === 'buy' ? 'sell' : 'buy')) {
      if (limit !== null && (side === 'buy' ? o.limit! > limit : o.limit! < limit)) return false;
      if (this.expired(o)) continue;
      if (o.account === account) {
        if (stp === 'cancel_oldest') continue;
        return false;
      }
      sum += o.remaining;
      if (sum >= quantity) return true;
    }
    return false;
  }

  private place(c: Extract<ModelCommand, { type: 'Place' }>): string | undefined {
    const account = this.accounts.get(c.account);
    if (account === undefined) return 'UNKNOWN_ACCOUNT';
    if (c.account === FEE_ACCOUNT) return 'INVALID_ORDER';
    if (account.kill) return 'KILL_SWITCH_ACTIVE';
    if (this.status === 'halted') return 'INSTRUMENT_HALTED';
    if (this.status === 'cancel_only') return 'INSTRUMENT_CANCEL_ONLY';
    if (this.status === 'post_only' && (c.market || c.stop !== undefined || !c.postOnly)) return 'INSTRUMENT_POST_ONLY';
    if (c.stop === undefined && c.market && (c.tif === 'GTC' || c.tif === 'GTD')) return 'INVALID_ORDER';
    if (c.stop === 'stop' && (c.tif === 'IOC' || c.tif === 'FOK')) return 'INVALID_ORDER';
    if (c.stop === 'stop_limit' && c.tif === 'FOK') return 'INVALID_ORDER';
    if (c.postOnly && (c.market || c.stop !== undefined || c.tif === 'IOC' || c.tif === 'FOK')) return 'INVALID_ORDER';
    if (c.stop !== undefined && c.stopPrice === undefined) return 'STOP_PRICE_REQUIRED';
    if (c.quoteQuantity !== undefined && c.tif === 'FOK') return 'INVALID_ORDER';
    if (c.clientOrderId !== undefined && this.live.some((o) => o.account === c.account && o.clientOrderId === c.clientOrderId)) return 'DUPLICATE_CLIENT_ORDER_ID';
    if (c.tif === 'GTD' ? c.expireAt === undefined || c.expireAt <= this.clock : c.expireAt !== undefined) return 'INVALID_EXPIRY';
    if (c.stop !== undefined) return this.placeStop(c, account);
    if (!c.market) {
      const bad = this.checkPrice(c.price!);
      if (bad) return bad;
    }
    if (c.quoteQuantity !== undefined) {
      if (c.quoteQuantity < this.spec.minNotional) return 'NOTIONAL_TOO_SMALL';
    } else {
      const bad = this.checkQuantity(c.quantity!);
      if (bad) return bad;
      if (!c.market && this.notional(c.price!, c.quantity!) < this.spec.minNotional) return 'NOTIONAL_TOO_SMALL';
    }
    const opposite = this.queue(c.side === 'buy' ? 'sell' : 'buy');
    const best = opposite[0];
    if (c.postOnly && best !== undefined && (c.side === 'buy' ? best.limit! <= c.price! : best.limit! >= c.price!)) return 'POST_ONLY_WOULD_CROSS';
    const stp = c.stp ?? 'cancel_newest';
    let limit: bigint | null = c.market ? null : c.price!;
    if (c.market) {
      if (best === undefined) return 'NO_LIQUIDITY';
      if (c.side === 'buy' && c.quantity !== undefined) limit = this.sweepPrice(c.account, c.quantity, stp);
    }
    let need: bigint;
    if (c.side === 'sell') need = c.quantity!;
    else if (c.quoteQuantity !== undefined) need = c.quoteQuantity;
    else {
      const n = this.notional(limit!, c.quantity!);
      need = n + this.maxFee({ feeNumerator: 0n }, account, n);
    }
    const holdAsset: Asset = c.side === 'buy' ? 'USD' : 'BTC';
    const b = account.balances[holdAsset];
    if (b.total - b.hold < need) return 'INSUFFICIENT_FUNDS';
    if (c.tif === 'FOK' && !this.fokFillable(c.account, c.side, c.quantity!, limit, stp)) return 'FOK_NOT_FILLABLE';

    const o: MOrder = {
      id: this.nextId++, account: c.account, clientOrderId: c.clientOrderId, side: c.side, market: c.market, stop: undefined, stopPrice: null,
      waiting: false, stopTime: 0, tif: c.tif,
      postOnly: c.postOnly, stp, limit, quantity: c.quantity ?? null, remaining: c.quantity ?? 0n, filled: 0n, held: 0n,
      feeNumerator: 0n, expireAt: c.expireAt, time: 0,
    };
    this.live.push(o);
    this.setHold(o, need);
    const stop = this.match(o, limit);
    this.settle(o, stop);
    return undefined;
  }

  /** After matching: filled leaves; STP, IOC, FOK and market remainders are canceled; GTC/GTD rests at the back. */
  private settle(o: MOrder, stop: 'done' | 'limit' | 'empty' | 'budget' | 'stp'): void {
    const done = o.quantity === null ? o.held === 0n : o.remaining === 0n;
    if (done || stop === 'stp' || o.market || o.tif === 'IOC' || o.tif === 'FOK') {
      this.end(o);
      return;
    }
    o.time = this.nextTime++;
  }

  private match(taker: MOrder, limit: bigint | null): 'done' | 'limit' | 'empty' | 'budget' | 'stp' {
    const buy = taker.side === 'buy';
    const byQuote = taker.quantity === null;
    for (;;) {
      if (byQuote ? taker.held === 0n : taker.remaining === 0n) return 'done';
      const maker = this.queue(buy ? 'sell' : 'buy').find((o) => o !== taker);
      if (maker === undefined) return 'empty';
      if (limit !== null && (buy ? maker.limit! > limit : maker.limit! < limit)) return 'limit';
      if (this.expired(maker)) {
        this.end(maker);
        continue;
      }
      if (maker.account === taker.account) {
        if (this.selfTrade(taker, maker)) return 'stp';
        continue;
      }
      let quantity = maker.remaining < taker.remaining || byQuote ? maker.remaining : taker.remaining;
      if (byQuote) {
        const lots = this.lotsForBudget(taker, maker.limit!);
        if (lots === 0n) return 'budget';
        if (lots * this.spec.lot < quantity) quantity = lots * this.spec.lot;
      }
      this.trade(taker, maker, quantity);
    }
  }

  /** The most lots a buy by quote amount can pay for at `price` with what its budget has left, fee included. */
  private lotsForBudget(taker: MOrder, price: bigint): bigint {
    const account = this.accounts.get(taker.account)!;
    const cost = (lots: bigint): bigint => {
      const n = this.notional(price, lots * this.spec.lot);
      return n + this.chargedFee(taker, account.takerBps, n).fee;
    };
    let lots = taker.held / this.notional(price, this.spec.lot);
    while (lots > 0n && cost(lots) > taker.held) lots--;
    return lots;
  }

  /** The fee a fill of `notional` costs the order at `bps`: charges rounded up on the order's running total, rebates down per fill. */
  private chargedFee(o: MOrder, bps: bigint, notional: bigint): { fee: bigint; numerator: bigint } {
    if (bps < 0n) return { fee: -((notional * -bps) / 10_000n), numerator: o.feeNumerator };
    const numerator = o.feeNumerator + notional * bps;
    return { fee: ceilDivModel(numerator, 10_000n) - ceilDivModel(o.feeNumerator, 10_000n), numerator };
  }

  /** The taker's STP mode against its own resting order; true when the taker stops. */
  private selfTrade(taker: MOrder, maker: MOrder): boolean {
    switch (taker.stp) {
      case 'cancel_newest': return true;
      case 'cancel_oldest': this.end(maker); return false;
      case 'cancel_both': this.end(maker); return true;
      case 'decrement_and_cancel': {
        if (taker.quantity === null) return true;
        const d = taker.remaining < maker.remaining ? taker.remaining : maker.remaining;
        if (maker.remaining === d) this.end(maker);
        else {
          maker.remaining -= d;
          maker.quantity! -= d;
          this.setHold(maker, this.holdNeed(maker));
        }
        if (taker.remaining === d) return true;
        taker.remaining -= d;
        taker.quantity! -= d;
        this.setHold(taker, this.holdNeed(taker));
        return false;
      }
    }
  }

  private trade(taker: MOrder, maker: MOrder, quantity: bigint): void {
    const price = maker.limit!;
    this.lastPrice = price;
    const notional = this.notional(price, quantity);
    const makerAccount = this.accounts.get(maker.account)!;
    const takerAccount = this.accounts.get(taker.account)!;
    const mf = this.chargedFee(maker, makerAccount.makerBps, notional);
    const tf = this.chargedFee(taker, takerAccount.takerBps, notional);
    maker.feeNumerator = mf.numerator;
    taker.feeNumerator = tf.numerator;
    this.fills.push({ orderId: maker.id, price, quantity, liquidity: 'maker', fee: mf.fee });
    this.fills.push({ orderId: taker.id, price, quantity, liquidity: 'taker', fee: tf.fee });

    const buyer = taker.side === 'buy' ? taker : maker;
    const seller = buyer === taker ? maker : taker;
    const buyerFee = buyer === taker ? tf.fee : mf.fee;
    const sellerFee = buyer === taker ? mf.fee : tf.fee;

    maker.remaining -= quantity;
    maker.filled += quantity;
    taker.filled += quantity;
    if (taker.quantity !== null) taker.remaining -= quantity;

    // The buyer pays notional + fee out of its hold; the hold then covers exactly what is left.
    const buyerQuote = this.bal(buyer.account, 'USD');
    buyerQuote.total -= notional + buyerFee;
    buyerQuote.hold -= notional + buyerFee;
    buyer.held -= notional + buyerFee;
    if (buyer.quantity !== null) this.setHold(buyer, this.holdNeed(buyer));
    this.bal(buyer.account, 'BTC').total += quantity;
    const sellerBase = this.bal(seller.account, 'BTC');
    sellerBase.total -= quantity;
    sellerBase.hold -= quantity;
    seller.held -= quantity;
    this.bal(seller.account, 'USD').total += notional - sellerFee;
    this.bal(FEE_ACCOUNT, 'USD').total += buyerFee + sellerFee;
    if (maker.remaining === 0n) this.end(maker);
  }

  private amend(c: Extract<ModelCommand, { type: 'Amend' }>): string | undefined {
    if (!this.accounts.has(c.account)) return 'UNKNOWN_ACCOUNT';
    const o = this.findLive(c.account, c.orderId, c.clientOrderId);
    if (o === undefined) return 'ORDER_NOT_FOUND';
    if (this.accounts.get(c.account)!.kill) return 'KILL_SWITCH_ACTIVE';
    if (this.status === 'halted') return 'INSTRUMENT_HALTED';
    if (this.status === 'cancel_only') return 'INSTRUMENT_CANCEL_ONLY';
    if (o.waiting) return this.amendWaiting(c, o);
    if (c.newStopPrice !== undefined) return 'INVALID_ORDER';
    let price = o.limit!;
    if (c.newPrice !== undefined) {
      const bad = this.checkPrice(c.newPrice);
      if (bad) return bad;
      price = c.newPrice;
    }
    let quantity = o.quantity!;
    if (c.newQuantity !== undefined) {
      const bad = this.checkQuantity(c.newQuantity);
      if (bad) return bad;
      if (c.newQuantity <= o.filled) return 'INVALID_QUANTITY';
      quantity = c.newQuantity;
    }
    let clientOrderId = o.clientOrderId;
    if (c.newClientOrderId !== undefined && c.newClientOrderId !== o.clientOrderId) {
      if (this.live.some((x) => x.account === c.account && x.clientOrderId === c.newClientOrderId)) return 'DUPLICATE_CLIENT_ORDER_ID';
      clientOrderId = c.newClientOrderId;
    }
    const priceChanged = price !== o.limit;
    const quantityChanged = quantity !== o.quantity;
    if (!priceChanged && !quantityChanged && clientOrderId === o.clientOrderId) return 'AMEND_NO_CHANGE';
    if ((priceChanged || quantityChanged) && this.notional(price, quantity) < this.spec.minNotional) return 'NOTIONAL_TOO_SMALL';
    const best = this.queue(o.side === 'buy' ? 'sell' : 'buy')[0];
    const crosses = priceChanged && best !== undefined && (o.side === 'buy' ? best.limit! <= price : best.limit! >= price);
    if (crosses && o.postOnly) return 'POST_ONLY_WOULD_CROSS';
    if (crosses && this.status === 'post_only') return 'INSTRUMENT_POST_ONLY';
    const remaining = quantity - o.filled;
    const account = this.accounts.get(c.account)!;
    const need = o.side === 'sell' ? remaining : this.notional(price, remaining) + this.maxFee(o, account, this.notional(price, remaining));
    const b = account.balances[o.side === 'buy' ? 'USD' : 'BTC'];
    if (need - o.held > b.total - b.hold) return 'INSUFFICIENT_FUNDS';

    o.clientOrderId = clientOrderId;
    const keepsPriority = !priceChanged && quantity <= o.quantity!;
    o.limit = price;
    o.quantity = quantity;
    o.remaining = remaining;
    this.setHold(o, this.holdNeed(o));
    if (keepsPriority) return undefined;
    // Out of the queue while it trades (if it crosses), then to the back at its new price.
    o.time = Number.MAX_SAFE_INTEGER;
    o.market = true; // not resting while it matches
    const stop = crosses ? this.match(o, price) : 'limit';
    o.market = false;
    this.settle(o, stop);
    return undefined;
  }
}
