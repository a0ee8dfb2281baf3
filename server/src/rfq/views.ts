/** The contract's view of a quote: the core's, without the counterparty and provider (the firm's business). */
import type { components } from '../../../generated/openapi.js';
import type { QuoteView } from '../core/api.js';

export type ApiQuote = components['schemas']['Quote'];

export function toApiQuote(q: QuoteView): ApiQuote {
  return {
    quoteId: q.quoteId,
    ...(q.clientRfqId !== undefined && { clientRfqId: q.clientRfqId }),
    symbol: q.symbol,
    side: q.side,
    ...(q.bidPrice !== undefined && { bidPrice: q.bidPrice }),
    ...(q.askPrice !== undefined && { askPrice: q.askPrice }),
    quantity: q.quantity,
    ...(q.quoteQuantity !== undefined && { quoteQuantity: q.quoteQuantity }),
    validUntil: q.validUntil,
    status: q.status,
    ...(q.executedSide !== undefined && { executedSide: q.executedSide }),
    ...(q.tradeId !== undefined && { tradeId: q.tradeId }),
    ...(q.orderId !== undefined && { orderId: q.orderId }),
    createdAt: q.createdAt,
    updatedAt: q.updatedAt,
  };
}
