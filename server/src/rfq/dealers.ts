/**
 * Dealer connections as a quote provider. A dealer is an API key with the `quote` scope on a
 * WebSocket connection: it is sent each RFQ (never the client's identity) and may answer with
 * a firm quote before the deadline. Answers that are late, malformed or for an RFQ the dealer
 * was not sent are refused with an error to that dealer and never used. Each connection is a
 * provider of its own (`dealer:<keyId>:<n>`), so when it closes, exactly its live quotes are
 * withdrawn.
 */
import { parseFixed } from '../core/fixed.js';
import type { Millis } from '../core/api.js';
import { ApiError } from '../errors/api-error.js';
import type { ProviderQuote, QuoteProvider, RfqRequest } from './provider.js';

/** What the desk sends a dealer for each RFQ. */
export interface DealerRfqFrame {
  type: 'rfq.request';
  rfqId: string;
  symbol: string;
  side: RfqRequest['side'];
  quantity?: string;
  quoteQuantity?: string;
  /** Answers after this instant are refused. */
  deadline: Millis;
  /** The latest validUntil the desk will accept for the quote. */
  validUntil: Millis;
}

/** A dealer's answer. */
export interface DealerAnswer { rfqId: unknown; bidPrice?: unknown; askPrice?: unknown; quantity?: unknown; validUntil?: unknown }

export interface DealerConnection {
  keyId: string;
  accountId: string;
  send(frame: DealerRfqFrame): void;
}

interface Pending {
  request: RfqRequest;
  deadline: Millis;
  waitingFor: Set<string>;
  answers: ProviderQuote[];
  done: (quotes: ProviderQuote[]) => void;
  timer: NodeJS.Timeout;
}

const DECIMAL = /^(0|[1-9]\d{0,19})(\.\d{1,18})?$/;

function invalid(detail: string): ApiError {
  return new ApiError({ status: 400, code: 'INVALID_QUOTE', detail });
}

export class DealerHub implements QuoteProvider {
  readonly name = 'dealers';
  readonly #dealers = new Map<string, DealerConnection>();
  readonly #pending = new Map<string, Pending>();
  #next = 0;

  constructor(private readonly clock: () => number) {}

  /** Registers a dealer connection; returns its provider name (used to withdraw its quotes). */
  connect(dealer: DealerConnection): string {
    const provider = `dealer:${dealer.keyId}:${++this.#next}`;
    this.#dealers.set(provider, dealer);
    return provider;
  }

  /** Forgets a dealer; RFQs waiting for it stop waiting. */
  disconnect(provider: string): void {
    this.#dealers.delete(provider);
    for (const p of this.#pending.values()) {
      if (p.waitingFor.delete(provider) && p.waitingFor.size === 0) this.#finish(p);
    }
  }

  get connected(): number {
    return this.#dealers.size;
  }

  quote(request: RfqRequest, deadline: Millis): Promise<ProviderQuote[]> {
    const targets = [...this.#dealers].filter(([, d]) => d.accountId !== request.accountId);
    if (targets.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const pending: Pending = {
        request, deadline, waitingFor: new Set(targets.map(([p]) => p)), answers: [], done: resolve,
        timer: setTimeout(() => this.#finish(pending), Math.max(0, deadline - this.clock())),
      };
      this.#pending.set(request.rfqId, pending);
      const frame: DealerRfqFrame = {
        type: 'rfq.request', rfqId: request.rfqId, symbol: request.symbol, side: request.side,
        ...(request.quantity !== undefined && { quantity: request.quantity }),
        ...(request.quoteQuantity !== undefined && { quoteQuantity: request.quoteQuantity }),
        deadline, validUntil: request.validUntil,
      };
      for (const [, d] of targets) d.send(frame);
    });
  }

  /** A dealer's answer: kept when on time and well-formed, else refused with INVALID_QUOTE. */
  answer(provider: string, a: DealerAnswer): void {
    const dealer = this.#dealers.get(provider);
    const pending = typeof a.rfqId === 'string' ? this.#pending.get(a.rfqId) : undefined;
    if (dealer === undefined || pending === undefined || !pending.waitingFor.has(provider)) {
      throw invalid('No open RFQ with this id was sent to this connection (it may have closed: answers after the deadline are not used).');
    }
    if (this.clock() > pending.deadline) throw invalid('The answer came after the deadline.');
    const r = pending.request;
    const price = (v: unknown, name: string, wanted: boolean): string | undefined => {
      if (!wanted) {
        if (v !== undefined) throw invalid(`A ${r.side} RFQ takes no ${name}.`);
        return undefined;
      }
      if (typeof v !== 'string' || !DECIMAL.test(v) || parseFixed(v, 18) === 0n) throw invalid(`${name} must be a positive decimal string.`);
      return v;
    };
    const askPrice = price(a.askPrice, 'askPrice', r.side !== 'sell');
    const bidPrice = price(a.bidPrice, 'bidPrice', r.side !== 'buy');
    if (typeof a.quantity !== 'string' || !DECIMAL.test(a.quantity)) throw invalid('quantity must be a decimal string.');
    if (r.quantity !== undefined && parseFixed(a.quantity, 18) !== parseFixed(r.quantity, 18)) throw invalid('quantity must be the quantity asked for.');
    if (a.validUntil !== undefined && (!Number.isSafeInteger(a.validUntil) || (a.validUntil as number) <= this.clock())) {
      throw invalid('validUntil must be an integer time in the future.');
    }
    const validUntil = Math.min(typeof a.validUntil === 'number' ? a.validUntil : r.validUntil, r.validUntil);
    pending.waitingFor.delete(provider);
    pending.answers.push({
      provider, counterpartyId: dealer.accountId, quantity: a.quantity, validUntil,
      ...(askPrice !== undefined && { askPrice }), ...(bidPrice !== undefined && { bidPrice }),
    });
    if (pending.waitingFor.size === 0) this.#finish(pending);
  }

  /** A dealer passes on an RFQ (it will not quote). */
  pass(provider: string, rfqId: unknown): void {
    const pending = typeof rfqId === 'string' ? this.#pending.get(rfqId) : undefined;
    if (pending === undefined || !pending.waitingFor.delete(provider)) throw invalid('No open RFQ with this id was sent to this connection.');
    if (pending.waitingFor.size === 0) this.#finish(pending);
  }

  #finish(p: Pending): void {
    if (this.#pending.get(p.request.rfqId) !== p) return;
    clearTimeout(p.timer);
    this.#pending.delete(p.request.rfqId);
    p.done(p.answers);
  }
}
