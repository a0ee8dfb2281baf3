/**
 * The core's OTC quotes: open ones by id, and recently closed ones kept (bounded) so that a late
 * accept learns why it failed (executed, declined, withdrawn, expired) rather than "unknown".
 * Prices and quantities are bigint units at the instrument's scales, like orders.
 */
import type { QuoteSide, QuoteStatus, QuoteView, Side } from './api.js';
import { formatFixed } from './fixed.js';
import type { Instrument } from './model.js';

export class QuoteRecord {
  status: QuoteStatus = 'open';
  updatedAt: number;
  executedSide: Side | undefined;
  tradeId: number | undefined;
  orderId: string | undefined;
  readonly idText: string;

  constructor(
    readonly id: number,
    readonly accountId: string,
    readonly counterpartyId: string,
    readonly provider: string,
    readonly inst: Instrument,
    readonly side: QuoteSide,
    /** 0n when the quote has no bid (a buy-only quote). */
    readonly bid: bigint,
    /** 0n when the quote has no ask (a sell-only quote). */
    readonly ask: bigint,
    readonly quantity: bigint,
    readonly quoteQuantity: bigint | null,
    readonly validUntil: number,
    readonly clientRfqId: string | undefined,
    readonly createdAt: number,
  ) {
    this.updatedAt = createdAt;
    this.idText = String(id);
  }

  view(): QuoteView {
    const q = this.inst.quote.decimals;
    return {
      quoteId: this.idText,
      ...(this.clientRfqId !== undefined && { clientRfqId: this.clientRfqId }),
      accountId: this.accountId,
      counterpartyId: this.counterpartyId,
      provider: this.provider,
      symbol: this.inst.symbol,
      side: this.side,
      ...(this.bid !== 0n && { bidPrice: formatFixed(this.bid, q) }),
      ...(this.ask !== 0n && { askPrice: formatFixed(this.ask, q) }),
      quantity: formatFixed(this.quantity, this.inst.base.decimals),
      ...(this.quoteQuantity !== null && { quoteQuantity: formatFixed(this.quoteQuantity, q) }),
      validUntil: this.validUntil,
      status: this.status,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
      ...(this.executedSide !== undefined && { executedSide: this.executedSide }),
      ...(this.tradeId !== undefined && { tradeId: this.tradeId }),
      ...(this.orderId !== undefined && { orderId: this.orderId }),
    };
  }
}

export class QuoteBook {
  nextId = 1;
  /** Open quotes in issue order. */
  readonly open = new Map<number, QuoteRecord>();
  /** Closed quotes, oldest first, at most `retention` of them. */
  readonly closed = new Map<number, QuoteRecord>();

  get(id: number): QuoteRecord | undefined {
    return this.open.get(id) ?? this.closed.get(id);
  }

  /** Moves an open quote to the closed set, evicting the oldest closed one beyond `retention`. */
  close(q: QuoteRecord, retention: number): void {
    this.open.delete(q.id);
    if (retention <= 0) return;
    this.closed.set(q.id, q);
    if (this.closed.size > retention) {
      const oldest = this.closed.keys().next().value as number;
      this.closed.delete(oldest);
    }
  }
}
