/**
 * The trading core: a single-threaded, deterministic state machine. `apply` dispatches one
 * command; its handlers validate before they change anything, so a rejected command leaves
 * the state as it was (apart from the sequence number its rejection event takes).
 */
import type {
  AssetSpec, BookSnapshot, ExecutedCommand, RejectCode, Candle, CandleInterval, CommandEnvelope, CommandResult, CoreSnapshot, BinaryCoreSnapshot, InstrumentSpec, OpenOrdersPage, OrderRef, OrderView,
  TradingCore, AccountView, BalanceView, PositionView, QuoteView, TickerView, TradeView,
} from './api.js';
import { addAsset, addInstrument, createAccount, deposit, setFeeSchedule, setInstrumentStatus, setKillSwitch, withdraw } from './admin.js';
import { formatFixed } from './fixed.js';
import { amendOrder, cancelAll, cancelOne, expireOrders } from './order-actions.js';
import { placeOrder } from './placement.js';
import * as q from './queries.js';
import { acceptQuote, declineQuote, issueQuote, setOtcFeeSchedule, withdrawQuote } from './quotes.js';
import { rejectCommand } from './rejects.js';
import { AcceptedResult, RejectedResult } from './result-objects.js';
import { takeSnapshot } from './snapshot.js';
import { takeBinarySnapshot } from './binary-snapshot.js';
import { triggerStops } from './stops.js';
import type { CoreState } from './state.js';

export class Engine implements TradingCore {
  /** The one result object `execute` fills in, so that applying a command allocates none. */
  private readonly result: ExecutedCommand;

  constructor(private readonly st: CoreState) {
    this.result = { ok: true, code: undefined, message: undefined, details: undefined, events: st.log };
  }

  get seq(): number {
    return this.st.seq;
  }

  apply(envelope: CommandEnvelope): CommandResult {
    const r = this.execute(envelope);
    const events = r.events.views();
    if (r.ok) return new AcceptedResult(events);
    return new RejectedResult(r.code as RejectCode, r.message as string, r.details, events);
  }

  execute(envelope: CommandEnvelope): ExecutedCommand {
    const st = this.st;
    st.log.reset();
    st.failure = null;
    const c = envelope.command;
    if (!Number.isSafeInteger(envelope.ts) || envelope.ts < 0) {
      st.ts = st.clock;
      rejectCommand(st, (c as { type?: unknown } | undefined)?.type as never, undefined, 'INVALID_COMMAND', 'ts must be a non-negative integer');
    } else {
      st.ts = envelope.ts;
      if (envelope.ts > st.clock) st.clock = envelope.ts;
      this.dispatch(envelope);
      // Stops reached by this command's trades trigger within it, after its own events.
      if (st.failure === null) triggerStops(st);
    }
    const r = this.result;
    const failure = st.failure as CoreState['failure'];
    if (failure === null) {
      r.ok = true;
      r.code = undefined;
      r.message = undefined;
      r.details = undefined;
    } else {
      st.failure = null;
      r.ok = false;
      r.code = failure.code;
      r.message = failure.message;
      r.details = failure.details;
    }
    return r;
  }

  private dispatch(envelope: CommandEnvelope): void {
    const st = this.st;
    const c = envelope.command;
    switch (c?.type) {
      case 'PlaceOrder': return placeOrder(st, c);
      case 'CancelOrder': return cancelOne(st, c);
      case 'AmendOrder': return amendOrder(st, c);
      case 'CancelAll': return cancelAll(st, c);
      case 'ExpireOrders': return expireOrders(st);
      case 'Deposit': return deposit(st, c);
      case 'Withdraw': return withdraw(st, c);
      case 'SetKillSwitch': return setKillSwitch(st, c);
      case 'SetFeeSchedule': return setFeeSchedule(st, c);
      case 'CreateAccount': return createAccount(st, c);
      case 'AddAsset': return addAsset(st, c);
      case 'AddInstrument': return addInstrument(st, c);
      case 'SetInstrumentStatus': return setInstrumentStatus(st, c);
      case 'IssueQuote': return issueQuote(st, c);
      case 'AcceptQuote': return acceptQuote(st, c);
      case 'DeclineQuote': return declineQuote(st, c);
      case 'WithdrawQuote': return withdrawQuote(st, c);
      case 'SetOtcFeeSchedule': return setOtcFeeSchedule(st, c);
      default:
        return rejectCommand(st, (c as { type?: unknown } | undefined)?.type as never, undefined, 'INVALID_COMMAND', 'unknown command type');
    }
  }

  snapshot(): CoreSnapshot {
    return takeSnapshot(this.st);
  }

  snapshotBinary(): BinaryCoreSnapshot {
    return takeBinarySnapshot(this.st);
  }

  instruments(): InstrumentSpec[] {
    const out: InstrumentSpec[] = [];
    for (const i of this.st.instruments.values()) {
      out.push({
        symbol: i.symbol, base: i.base.asset, quote: i.quote.asset, tickSize: formatFixed(i.tick, i.quote.decimals),
        lotSize: formatFixed(i.lot, i.base.decimals), minQuantity: formatFixed(i.minQuantity, i.base.decimals),
        maxQuantity: formatFixed(i.maxQuantity, i.base.decimals), minNotional: formatFixed(i.minNotional, i.quote.decimals),
        priceBandBps: i.priceBandBps, status: i.status,
      });
    }
    return out;
  }

  assets(): AssetSpec[] {
    return [...this.st.assets.values()].map((a) => ({ asset: a.asset, decimals: a.decimals }));
  }

  book(symbol: string, depth?: number): BookSnapshot | undefined {
    return q.bookSnapshot(this.st, symbol, depth);
  }

  order(accountId: string, ref: OrderRef): OrderView | undefined {
    return q.findOrder(this.st, accountId, ref);
  }

  openOrders(accountId: string, symbol?: string, page?: OpenOrdersPage): OrderView[] {
    return q.openOrders(this.st, accountId, symbol, page);
  }

  balances(accountId: string): BalanceView[] | undefined {
    return q.balances(this.st, accountId);
  }

  positions(accountId: string): PositionView[] | undefined {
    return q.positions(this.st, accountId);
  }

  account(accountId: string): AccountView | undefined {
    return q.accountView(this.st, accountId);
  }

  recentTrades(symbol: string, limit: number): TradeView[] {
    return q.recentTrades(this.st, symbol, limit);
  }

  ticker(symbol: string, now: number): TickerView | undefined {
    return q.ticker(this.st, symbol, now);
  }

  candles(symbol: string, interval: CandleInterval, start: number, end: number): Candle[] {
    return q.candles(this.st, symbol, interval, start, end);
  }

  quote(accountId: string, quoteId: string): QuoteView | undefined {
    const n = /^[1-9]\d{0,15}$/.test(quoteId) ? Number(quoteId) : undefined;
    const found = n === undefined ? undefined : this.st.quotes.get(n);
    return found !== undefined && found.accountId === accountId ? found.view() : undefined;
  }

  openQuotes(accountId?: string): QuoteView[] {
    const out: QuoteView[] = [];
    for (const found of this.st.quotes.open.values()) if (accountId === undefined || found.accountId === accountId) out.push(found.view());
    return out;
  }

  nextExpiry(): number | undefined {
    return q.nextExpiry(this.st);
  }
}
