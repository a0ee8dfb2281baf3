/** The OTC quotes in a core snapshot: open and closed quotes in their Map order, and the next id. */
import type { QuoteSide, QuoteStatus, Side } from './api.js';
import { QuoteRecord, type QuoteBook } from './quote-book.js';
import type { CoreState } from './state.js';

type Int = string;

interface QuoteState {
  id: number; accountId: string; counterpartyId: string; provider: string; symbol: string; side: QuoteSide;
  bid: Int; ask: Int; quantity: Int; quoteQuantity: Int | null; validUntil: number; clientRfqId: string | null;
  createdAt: number; updatedAt: number; status: QuoteStatus;
  executedSide: Side | null; tradeId: number | null; orderId: string | null;
}

export interface QuoteBookState { nextId: number; open: QuoteState[]; closed: QuoteState[] }

function quoteState(q: QuoteRecord): QuoteState {
  return {
    id: q.id, accountId: q.accountId, counterpartyId: q.counterpartyId, provider: q.provider, symbol: q.inst.symbol, side: q.side,
    bid: q.bid.toString(), ask: q.ask.toString(), quantity: q.quantity.toString(),
    quoteQuantity: q.quoteQuantity === null ? null : q.quoteQuantity.toString(), validUntil: q.validUntil,
    clientRfqId: q.clientRfqId ?? null, createdAt: q.createdAt, updatedAt: q.updatedAt, status: q.status,
    executedSide: q.executedSide ?? null, tradeId: q.tradeId ?? null, orderId: q.orderId ?? null,
  };
}

export function quoteBookState(book: QuoteBook): QuoteBookState {
  return { nextId: book.nextId, open: [...book.open.values()].map(quoteState), closed: [...book.closed.values()].map(quoteState) };
}

function restoreQuote(st: CoreState, s: QuoteState): QuoteRecord {
  const inst = st.instruments.get(s.symbol);
  if (inst === undefined) throw new Error(`snapshot quote ${s.id} refers to an unknown symbol`);
  const q = new QuoteRecord(
    s.id, s.accountId, s.counterpartyId, s.provider, inst, s.side, BigInt(s.bid), BigInt(s.ask), BigInt(s.quantity),
    s.quoteQuantity === null ? null : BigInt(s.quoteQuantity), s.validUntil, s.clientRfqId ?? undefined, s.createdAt,
  );
  q.updatedAt = s.updatedAt;
  q.status = s.status;
  q.executedSide = s.executedSide ?? undefined;
  q.tradeId = s.tradeId ?? undefined;
  q.orderId = s.orderId ?? undefined;
  return q;
}

export function restoreQuoteBook(st: CoreState, s: QuoteBookState): void {
  st.quotes.nextId = s.nextId;
  for (const q of s.open) st.quotes.open.set(q.id, restoreQuote(st, q));
  for (const q of s.closed) st.quotes.closed.set(q.id, restoreQuote(st, q));
}
