/**
 * OTC quote commands. A quote is issued firm for a client against a counterparty account (the
 * firm's OTC desk or a dealer), and lives until an accept executes it, the client declines it,
 * the firm withdraws it, or its `validUntil` passes. Every judgement uses the command's
 * sequenced time (`st.ts`), never a gateway's clock, so two accepts of one quote, or an accept
 * racing a withdrawal, resolve by sequence order: the first one sequenced wins.
 *
 * An accept settles both sides in one command: it checks both accounts' available balances
 * first, then moves base and quote between them, charges each side its OTC fee (quote asset,
 * rounded up, to the fee account), records one order and one fill per side (the client's with
 * liquidity `rfq`, the quoting side's as `maker`; both orders carry the quote id), and updates
 * both positions. The public tape sees it only if `printQuoteTrades` is set.
 */
import type { AcceptQuote, DeclineQuote, IssueQuote, QuoteStatus, SetOtcFeeSchedule, Side, WithdrawQuote } from './api.js';
import { emitAccepted, emitAdmin, emitBalance, emitFilled, emitPosition, emitTrade } from './events.js';
import { BPS_DENOMINATOR } from './fees.js';
import { ceilDiv, formatFixed, parseFixed } from './fixed.js';
import { availableOf, balanceOf, finish } from './lifecycle.js';
import { Order, Position, type Account } from './model.js';
import { checkPrice, isIdentifier, statusBlocksTrading } from './order-rules.js';
import { applyFillToPosition } from './positions.js';
import { QuoteRecord } from './quote-book.js';
import { rejectCommand, rejectOrder } from './rejects.js';
import type { CoreState } from './state.js';
import { big, minus, plus, units } from './units.js';

const MAX_OTC_BPS = 10_000;

/** Why an OTC fee rate is invalid, or undefined when it is fine (integer bps in [0, 10,000]). */
export function otcFeeProblem(bps: unknown): string | undefined {
  if (!Number.isInteger(bps) || (bps as number) < 0 || (bps as number) > MAX_OTC_BPS) return `OTC fee must be an integer in [0, ${MAX_OTC_BPS}] bps`;
  return undefined;
}

function closedRetention(st: CoreState): number {
  return st.config.closedQuoteRetention ?? 10_000;
}

/** The OTC rate of a new account. */
export function defaultOtcBps(st: CoreState): number {
  return st.config.defaultOtcBps ?? 0;
}

function quoteEvent(st: CoreState, type: 'QuoteIssued' | 'QuoteClosed', q: QuoteRecord): void {
  st.log.ready({ type, seq: ++st.seq, ts: st.ts, quote: q.view() });
}

function closeQuote(st: CoreState, q: QuoteRecord, status: QuoteStatus): void {
  q.status = status;
  q.updatedAt = st.ts;
  st.quotes.close(q, closedRetention(st));
  quoteEvent(st, 'QuoteClosed', q);
}

/** Time passes: every open quote whose validUntil is before now is closed as expired. */
export function expireQuotes(st: CoreState): void {
  const lapsed: QuoteRecord[] = [];
  for (const q of st.quotes.open.values()) if (q.validUntil < st.ts) lapsed.push(q);
  for (const q of lapsed) closeQuote(st, q, 'expired');
}

/** Parses a quote id ("17") into the core's number, or undefined. */
function quoteNumber(id: unknown): number | undefined {
  if (typeof id !== 'string' || !/^[1-9]\d{0,15}$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}

function tradingAccount(st: CoreState, id: unknown): Account | undefined {
  const a = typeof id === 'string' ? st.accounts.get(id) : undefined;
  return a === st.feeAccount ? undefined : a;
}

export function issueQuote(st: CoreState, c: IssueQuote): void {
  expireQuotes(st);
  const fail = (code: Parameters<typeof rejectCommand>[3], message: string): void => rejectCommand(st, 'IssueQuote', typeof c.accountId === 'string' ? c.accountId : undefined, code, message);
  const account = tradingAccount(st, c.accountId);
  if (account === undefined) return fail('UNKNOWN_ACCOUNT', 'unknown account');
  const counterparty = tradingAccount(st, c.counterpartyId);
  if (counterparty === undefined) return fail('UNKNOWN_ACCOUNT', 'unknown counterparty account');
  if (counterparty === account) return fail('INVALID_QUOTE', 'an account cannot quote itself');
  if (!isIdentifier(c.provider)) return fail('INVALID_QUOTE', 'provider must be 1-64 printable ASCII characters');
  const inst = typeof c.symbol === 'string' ? st.instruments.get(c.symbol) : undefined;
  if (inst === undefined) return fail('UNKNOWN_SYMBOL', `unknown symbol ${String(c.symbol)}`);
  const blocked = statusBlocksTrading(inst);
  if (blocked !== undefined) return fail(blocked, `instrument is ${inst.status}`);
  if (c.side !== 'buy' && c.side !== 'sell' && c.side !== 'two_way') return fail('INVALID_QUOTE', 'side must be buy, sell or two_way');
  const wantsBid = c.side !== 'buy';
  const wantsAsk = c.side !== 'sell';
  if (wantsBid !== (c.bidPrice !== undefined) || wantsAsk !== (c.askPrice !== undefined)) {
    return fail('INVALID_QUOTE', 'a buy quote has an ask, a sell quote a bid, a two-way quote both');
  }
  let bid = 0n;
  let ask = 0n;
  if (wantsBid) {
    const p = checkPrice(inst, c.bidPrice);
    if (typeof p === 'string') return fail(p, 'bidPrice must be a positive price on the tick');
    bid = big(p);
  }
  if (wantsAsk) {
    const p = checkPrice(inst, c.askPrice);
    if (typeof p === 'string') return fail(p, 'askPrice must be a positive price on the tick');
    ask = big(p);
  }
  if (wantsBid && wantsAsk && bid > ask) return fail('INVALID_QUOTE', 'bidPrice must not exceed askPrice');
  const quantity = parseFixed(c.quantity, inst.base.decimals);
  if (typeof quantity !== 'bigint' || quantity === 0n) return fail('INVALID_QUANTITY', 'quantity must be a positive decimal string');
  if (quantity % inst.lot !== 0n) return fail('QUANTITY_OFF_LOT', `quantity must be a multiple of the lot size ${formatFixed(inst.lot, inst.base.decimals)}`);
  if (quantity < inst.minQuantity) return fail('QUANTITY_TOO_SMALL', `quantity is below the minimum ${formatFixed(inst.minQuantity, inst.base.decimals)}`);
  let quoteQuantity: bigint | null = null;
  if (c.quoteQuantity !== undefined) {
    const v = parseFixed(c.quoteQuantity, inst.quote.decimals);
    if (typeof v !== 'bigint' || v === 0n) return fail('INVALID_QUANTITY', 'quoteQuantity must be a positive decimal string at the quote scale');
    quoteQuantity = v;
  }
  if (!Number.isSafeInteger(c.validUntil) || c.validUntil < st.ts) return fail('INVALID_EXPIRY', 'validUntil must be an integer time not before now');
  if (c.clientRfqId !== undefined && !isIdentifier(c.clientRfqId)) return fail('INVALID_QUOTE', 'clientRfqId must be 1-64 printable ASCII characters');

  const q = new QuoteRecord(
    st.quotes.nextId++, account.id, counterparty.id, c.provider, inst, c.side, bid, ask, quantity, quoteQuantity, c.validUntil, c.clientRfqId, st.ts,
  );
  st.quotes.open.set(q.id, q);
  quoteEvent(st, 'QuoteIssued', q);
}

/**
 * Finds the caller's quote. Another account's quote is reported exactly like an unknown one,
 * so quote ids reveal nothing about other clients.
 */
function ownQuote(st: CoreState, accountId: string, quoteId: unknown): QuoteRecord | undefined {
  const n = quoteNumber(quoteId);
  const q = n === undefined ? undefined : st.quotes.get(n);
  return q !== undefined && q.accountId === accountId ? q : undefined;
}

function notOpenCode(q: QuoteRecord): 'QUOTE_EXPIRED' | 'QUOTE_NOT_OPEN' {
  return q.status === 'expired' ? 'QUOTE_EXPIRED' : 'QUOTE_NOT_OPEN';
}

export function acceptQuote(st: CoreState, c: AcceptQuote): void {
  expireQuotes(st);
  const accountId = typeof c.accountId === 'string' ? c.accountId : '';
  const clientOrderId = typeof c.clientOrderId === 'string' ? c.clientOrderId : undefined;
  const side = c.side === 'buy' || c.side === 'sell' ? c.side : undefined;
  const account = st.accounts.get(accountId);
  const who = (symbol?: string) => ({ accountId, symbol, clientOrderId, side });
  if (account === undefined) return rejectOrder(st, who(), 'UNKNOWN_ACCOUNT', `unknown account ${accountId}`);
  const q = ownQuote(st, accountId, c.quoteId);
  if (q === undefined) return rejectOrder(st, who(), 'QUOTE_NOT_FOUND', 'no such quote for this account');
  const inst = q.inst;
  const symbol = inst.symbol;
  if (q.status !== 'open') return rejectOrder(st, who(symbol), notOpenCode(q), `the quote is ${q.status}`);
  if (side === undefined) return rejectOrder(st, who(symbol), 'QUOTE_MISMATCH', 'side must be buy or sell');
  if (q.side !== 'two_way' && q.side !== side) return rejectOrder(st, who(symbol), 'QUOTE_MISMATCH', `the quote is for a ${q.side}`);
  const price = side === 'buy' ? q.ask : q.bid;
  if (c.quantity !== undefined && parseFixed(c.quantity, inst.base.decimals) !== q.quantity) {
    return rejectOrder(st, who(symbol), 'QUOTE_MISMATCH', 'quantity differs from the quote');
  }
  if (c.price !== undefined && parseFixed(c.price, inst.quote.decimals) !== price) {
    return rejectOrder(st, who(symbol), 'QUOTE_MISMATCH', 'price differs from the quote');
  }
  if (c.clientOrderId !== undefined) {
    if (!isIdentifier(c.clientOrderId)) return rejectOrder(st, who(symbol), 'INVALID_ORDER', 'clientOrderId must be 1-64 printable ASCII characters');
    if (account.byClientId.has(c.clientOrderId)) return rejectOrder(st, who(symbol), 'DUPLICATE_CLIENT_ORDER_ID', 'clientOrderId is in use by a live order');
  }
  if (account.killSwitch) return rejectOrder(st, who(symbol), 'KILL_SWITCH_ACTIVE', 'the kill switch is active for this account');
  const blocked = statusBlocksTrading(inst);
  if (blocked !== undefined) return rejectOrder(st, who(symbol), blocked, `instrument is ${inst.status}`);
  const counterparty = st.accounts.get(q.counterpartyId) as Account;

  // Both sides' funds, checked before anything moves.
  const quantity = q.quantity;
  const notional = inst.notional(price, quantity);
  const clientFee = otcFee(notional, account.otcBps);
  const counterpartyFee = otcFee(notional, counterparty.otcBps);
  const buyer = side === 'buy' ? account : counterparty;
  const seller = buyer === account ? counterparty : account;
  const buyerFee = buyer === account ? clientFee : counterpartyFee;
  const sellerFee = buyer === account ? counterpartyFee : clientFee;
  const clientShort = side === 'buy'
    ? availableOf(account, inst.quote.asset) < notional + clientFee
    : availableOf(account, inst.base.asset) < quantity;
  if (clientShort) return rejectOrder(st, who(symbol), 'INSUFFICIENT_FUNDS', `insufficient available ${side === 'buy' ? inst.quote.asset : inst.base.asset}`);
  const counterpartyShort = side === 'buy'
    ? availableOf(counterparty, inst.base.asset) < quantity
    : availableOf(counterparty, inst.quote.asset) < notional + counterpartyFee;
  if (counterpartyShort || notional < sellerFee) return rejectOrder(st, who(symbol), 'QUOTE_UNAVAILABLE', 'the quoting side cannot settle this quote now');

  // One filled order per side, so fills, history, positions and execution reports need nothing new.
  const tradeId = ++inst.tradeSeq;
  const priceText = formatFixed(price, inst.quote.decimals);
  const counterSide: Side = side === 'buy' ? 'sell' : 'buy';
  const clientOrder = quoteOrder(st, account, clientOrderId, q, side, price, priceText);
  const counterOrder = quoteOrder(st, counterparty, undefined, q, counterSide, price, priceText);
  emitAccepted(st, clientOrder);
  emitAccepted(st, counterOrder);
  for (const o of [clientOrder, counterOrder]) {
    o.remaining = 0;
    o.filled = units(quantity);
    o.filledQuote = units(notional);
    o.status = 'filled';
  }
  emitFilled(st, clientOrder, tradeId, priceText, clientOrder.filled, 'rfq', units(clientFee));
  // The quoting side provided the liquidity: its fill is a maker fill of the quote.
  emitFilled(st, counterOrder, tradeId, priceText, counterOrder.filled, 'maker', units(counterpartyFee));
  if (st.config.printQuoteTrades === true) {
    emitTrade(st, inst, tradeId, priceText, clientOrder.filled, side, counterOrder, clientOrder);
    inst.md.record({ tradeId, price: units(price), quantity: units(quantity), takerSide: side, ts: st.ts }, units(notional), st.clock);
  }

  const buyerQuote = balanceOf(buyer, inst.quote);
  buyerQuote.total = minus(buyerQuote.total, units(notional + buyerFee));
  emitBalance(st, buyer, buyerQuote, 'trade');
  const buyerBase = balanceOf(buyer, inst.base);
  buyerBase.total = plus(buyerBase.total, units(quantity));
  emitBalance(st, buyer, buyerBase, 'trade');
  const sellerBase = balanceOf(seller, inst.base);
  sellerBase.total = minus(sellerBase.total, units(quantity));
  emitBalance(st, seller, sellerBase, 'trade');
  const sellerQuote = balanceOf(seller, inst.quote);
  sellerQuote.total = plus(sellerQuote.total, units(notional - sellerFee));
  emitBalance(st, seller, sellerQuote, 'trade');
  if (clientFee + counterpartyFee !== 0n) {
    const feeBalance = balanceOf(st.feeAccount, inst.quote);
    feeBalance.total = plus(feeBalance.total, units(clientFee + counterpartyFee));
    emitBalance(st, st.feeAccount, feeBalance, 'fee');
  }
  for (const [a, buy] of [[buyer, true], [seller, false]] as const) {
    let p = a.positions.get(symbol);
    if (p === undefined) {
      p = new Position(symbol);
      a.positions.set(symbol, p);
    }
    applyFillToPosition(p, inst, buy, units(price), units(quantity));
    emitPosition(st, a, p, inst);
  }
  finish(st, clientOrder);
  finish(st, counterOrder);

  q.executedSide = side;
  q.tradeId = tradeId;
  q.orderId = clientOrder.idText;
  closeQuote(st, q, 'executed');
}

/** A fill-or-kill at exactly the quoted price and size, tagged with the quote id. */
function quoteOrder(st: CoreState, account: Account, clientOrderId: string | undefined, q: QuoteRecord, side: Side, price: bigint, priceText: string): Order {
  const o = new Order(
    st.nextOrderId++, account, clientOrderId, q.inst, side, 'limit', 'FOK', false, 'cancel_newest', units(price), units(q.quantity), null, units(q.quantity),
    undefined, st.ts, st.ts,
  );
  o.priceText = priceText;
  o.quoteId = q.idText;
  return o;
}

function otcFee(notional: bigint, bps: number): bigint {
  return bps === 0 ? 0n : ceilDiv(notional * BigInt(bps), BPS_DENOMINATOR);
}

export function declineQuote(st: CoreState, c: DeclineQuote): void {
  expireQuotes(st);
  const accountId = typeof c.accountId === 'string' ? c.accountId : '';
  if (!st.accounts.has(accountId)) return rejectCommand(st, 'DeclineQuote', accountId, 'UNKNOWN_ACCOUNT', 'unknown account');
  const q = ownQuote(st, accountId, c.quoteId);
  if (q === undefined) return rejectCommand(st, 'DeclineQuote', accountId, 'QUOTE_NOT_FOUND', 'no such quote for this account');
  if (q.status !== 'open') return rejectCommand(st, 'DeclineQuote', accountId, notOpenCode(q), `the quote is ${q.status}`);
  closeQuote(st, q, 'declined');
}

/** Withdraws one open quote by id, or every open quote of a provider (none open is not an error). */
export function withdrawQuote(st: CoreState, c: WithdrawQuote): void {
  expireQuotes(st);
  if (c.provider !== undefined) {
    if (typeof c.provider !== 'string') return rejectCommand(st, 'WithdrawQuote', undefined, 'INVALID_COMMAND', 'provider must be a string');
    const mine: QuoteRecord[] = [];
    for (const q of st.quotes.open.values()) if (q.provider === c.provider) mine.push(q);
    for (const q of mine) closeQuote(st, q, 'withdrawn');
    return;
  }
  const n = quoteNumber(c.quoteId);
  const q = n === undefined ? undefined : st.quotes.get(n);
  if (q === undefined) return rejectCommand(st, 'WithdrawQuote', undefined, 'QUOTE_NOT_FOUND', 'no such quote');
  if (q.status !== 'open') return rejectCommand(st, 'WithdrawQuote', q.accountId, notOpenCode(q), `the quote is ${q.status}`);
  closeQuote(st, q, 'withdrawn');
}

export function setOtcFeeSchedule(st: CoreState, c: SetOtcFeeSchedule): void {
  const account = tradingAccount(st, c.accountId);
  if (account === undefined) return rejectCommand(st, 'SetOtcFeeSchedule', typeof c.accountId === 'string' ? c.accountId : undefined, 'UNKNOWN_ACCOUNT', 'unknown account');
  const problem = otcFeeProblem(c.otcBps);
  if (problem !== undefined) return rejectCommand(st, 'SetOtcFeeSchedule', account.id, 'INVALID_FEE_SCHEDULE', problem);
  account.otcBps = c.otcBps;
  emitAdmin(st, c);
}
