/**
 * OTC quotes in the core's contract: the commands that issue, accept, decline and withdraw a
 * firm quote, the events they produce, and the quote's view. A quote is priced outside the core
 * (by a quote provider) and becomes firm when `IssueQuote` is sequenced; from then on its whole
 * life is deterministic state, judged on each command's sequenced time.
 */
import type { Decimal, Millis, Side } from './api.js';

/** The side the client asked about: buy, sell, or both (a two-way quote). */
export type QuoteSide = Side | 'two_way';
export type QuoteStatus = 'open' | 'executed' | 'declined' | 'withdrawn' | 'expired';

/** Makes a priced quote firm for `accountId`, against `counterpartyId` (the firm's OTC account or a dealer's). */
export interface IssueQuote {
  type: 'IssueQuote';
  accountId: string;
  counterpartyId: string;
  /** Who priced it, e.g. `pricer` or `dealer:<keyId>`; a dealer's live quotes are withdrawn by this name. */
  provider: string;
  symbol: string;
  side: QuoteSide;
  /** The price at which the client can sell (required for sell and two-way). */
  bidPrice?: Decimal;
  /** The price at which the client can buy (required for buy and two-way). */
  askPrice?: Decimal;
  /** Base quantity the quote is good for. */
  quantity: Decimal;
  /** For an RFQ by quote amount: the amount the client asked for (informational). */
  quoteQuantity?: Decimal;
  /** Last instant (inclusive) at which an accept is on time. */
  validUntil: Millis;
  clientRfqId?: string;
}

/** The client takes the quote on one side. Optional quantity and price must match the quote. */
export interface AcceptQuote {
  type: 'AcceptQuote';
  accountId: string;
  quoteId: string;
  side: Side;
  clientOrderId?: string;
  quantity?: Decimal;
  price?: Decimal;
}

export interface DeclineQuote { type: 'DeclineQuote'; accountId: string; quoteId: string }

/** The firm withdraws one quote (by id) or every live quote of a provider. */
export type WithdrawQuote =
  | { type: 'WithdrawQuote'; quoteId: string; provider?: undefined }
  | { type: 'WithdrawQuote'; provider: string; quoteId?: undefined };

/** An account's fee on quote trades, in bps of the notional, charged in the quote asset. */
export interface SetOtcFeeSchedule { type: 'SetOtcFeeSchedule'; accountId: string; otcBps: number }

export type QuoteCommand = IssueQuote | AcceptQuote | DeclineQuote | WithdrawQuote | SetOtcFeeSchedule;

export interface QuoteView {
  quoteId: string;
  clientRfqId?: string;
  accountId: string;
  counterpartyId: string;
  provider: string;
  symbol: string;
  side: QuoteSide;
  bidPrice?: Decimal;
  askPrice?: Decimal;
  quantity: Decimal;
  quoteQuantity?: Decimal;
  validUntil: Millis;
  status: QuoteStatus;
  createdAt: Millis;
  updatedAt: Millis;
  /** Once executed: the side the client took, the trade, and the client's order id. */
  executedSide?: Side;
  tradeId?: number;
  orderId?: string;
}

export interface QuoteIssued { type: 'QuoteIssued'; seq: number; ts: Millis; quote: QuoteView }
/** A quote left the open state: executed, declined, withdrawn or expired (see `quote.status`). */
export interface QuoteClosed { type: 'QuoteClosed'; seq: number; ts: Millis; quote: QuoteView }

export type QuoteEvent = QuoteIssued | QuoteClosed;
