/**
 * Who prices a request for quote. A provider receives the request and answers with zero or more
 * firm quotes before the deadline; the RFQ desk keeps the best one and makes it firm in the core.
 */
import type { Decimal, Millis, QuoteSide } from '../core/api.js';

export interface RfqRequest {
  /** The desk's id for this request, unique while the process runs (dealers echo it back). */
  rfqId: string;
  accountId: string;
  symbol: string;
  side: QuoteSide;
  /** Base quantity, or (buy only) the quote amount to spend: exactly one is set. */
  quantity?: Decimal;
  quoteQuantity?: Decimal;
  /** When the quote must lapse at the latest. */
  validUntil: Millis;
}

/** A price a provider stands behind until `validUntil`, against `counterpartyId`'s balances. */
export interface ProviderQuote {
  provider: string;
  counterpartyId: string;
  bidPrice?: Decimal;
  askPrice?: Decimal;
  quantity: Decimal;
  validUntil: Millis;
}

export interface QuoteProvider {
  readonly name: string;
  /** Quotes for the request; an empty list declines. Answers after `deadline` are not used. */
  quote(request: RfqRequest, deadline: Millis): Promise<ProviderQuote[]>;
}
