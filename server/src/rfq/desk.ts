/**
 * The OTC request-for-quote desk, independent of the channel: REST, WebSocket and FIX call it,
 * so an RFQ is validated, limited, priced and reported the same way through every door, with
 * the same catalog codes. It asks every provider at once, keeps the best quote answered in time,
 * and makes it firm with one `IssueQuote` command; accepts go through order entry (`AcceptQuote`).
 * The core then judges everything else (expiry, at-most-once, balances) on sequenced time.
 */
import type { CoreEvent, InstrumentSpec, QuoteSide, QuoteView } from '../core/api.js';
import { parseFixed, pow10 } from '../core/fixed.js';
import { ApiError } from '../errors/api-error.js';
import type { HistoryStore } from '../history/store.js';
import type { RfqLimiter } from '../limits/rfq-limits.js';
import type { OrderEntry, QuoteAcceptRequest } from '../order-entry/order-entry.js';
import type { OrderOutcome } from '../order-entry/outcomes.js';
import { submitCommand } from '../order-entry/submit.js';
import type { CommandBus } from '../sequencer/api.js';
import type { RfqConfig } from './config.js';
import type { ProviderQuote, QuoteProvider, RfqRequest } from './provider.js';

/** What a client asks for, on any channel. */
export interface RfqInput {
  symbol: string;
  side: QuoteSide;
  quantity?: string;
  quoteQuantity?: string;
  clientRfqId?: string;
  /** How long the quote should stay firm, in ms (default and maximum from config). */
  ttlMs?: number;
}

export interface RfqDeskDeps {
  bus: CommandBus;
  orders: OrderEntry;
  history: Pick<HistoryStore, 'getQuote' | 'listQuotes' | 'listQuoteTrades'> | undefined;
  historySynced?: () => Promise<void>;
  providers: readonly QuoteProvider[];
  limiter: RfqLimiter;
  config: Pick<RfqConfig, 'defaultTtlMs' | 'maxTtlMs' | 'dealerDeadlineMs'>;
  clock: () => number;
}

function bad(code: string, detail: string, status = 400): ApiError {
  return new ApiError({ status, code, detail });
}

export class RfqDesk {
  readonly #deps: RfqDeskDeps;
  /** Client RFQ ids with an RFQ being priced or a quote still open: `account id` → quote id ('' while pricing). */
  readonly #open = new Map<string, string>();
  #next = 0;

  constructor(deps: RfqDeskDeps) {
    this.#deps = deps;
    // A closed quote frees its client RFQ id.
    deps.bus.onEvents((events) => this.#onEvents(events));
  }

  /** Prices the request and returns the firm quote, or throws a catalog error; nothing is issued on failure. */
  async request(accountId: string, input: RfqInput): Promise<QuoteView> {
    const { bus, limiter, clock, config } = this.#deps;
    const inst = bus.core.instruments().find((i) => i.symbol === input.symbol);
    if (inst === undefined) throw bad('UNKNOWN_SYMBOL', `Unknown symbol ${input.symbol}.`);
    if (input.side !== 'buy' && input.side !== 'sell' && input.side !== 'two_way') throw bad('VALIDATION_FAILED', 'side must be buy, sell or two_way.');
    if ((input.quantity === undefined) === (input.quoteQuantity === undefined)) throw bad('VALIDATION_FAILED', 'Give quantity or quoteQuantity, not both.');
    if (input.quoteQuantity !== undefined && input.side !== 'buy') throw bad('VALIDATION_FAILED', 'quoteQuantity (an amount to spend) is for buy RFQs only.');
    const ttl = input.ttlMs ?? config.defaultTtlMs;
    if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > config.maxTtlMs) throw bad('VALIDATION_FAILED', `ttlMs must be an integer in [1, ${config.maxTtlMs}].`);
    this.#checkSize(accountId, inst, input);
    if (input.clientRfqId !== undefined && !/^[\x21-\x7e]{1,64}$/.test(input.clientRfqId)) throw bad('VALIDATION_FAILED', 'clientRfqId must be 1-64 printable ASCII characters.');

    const slot = input.clientRfqId === undefined ? undefined : `${accountId} ${input.clientRfqId}`;
    if (slot !== undefined && this.#stillOpen(accountId, slot)) throw bad('RFQ_DUPLICATE_ID', 'This clientRfqId has an RFQ that is still open.', 409);
    await limiter.spendRate(accountId);
    if (slot !== undefined) this.#open.set(slot, '');
    try {
      const now = clock();
      const request: RfqRequest = {
        rfqId: `${now.toString(36)}-${++this.#next}`, accountId, symbol: input.symbol, side: input.side, validUntil: now + ttl,
        ...(input.quantity !== undefined && { quantity: input.quantity }),
        ...(input.quoteQuantity !== undefined && { quoteQuantity: input.quoteQuantity }),
      };
      const deadline = now + config.dealerDeadlineMs;
      const answers = (await Promise.all(this.#deps.providers.map((p) => p.quote(request, deadline).catch(() => [] as ProviderQuote[])))).flat();
      const quote = await this.#issueBest(accountId, input, inst, answers);
      if (slot !== undefined) {
        if (quote.status === 'open') this.#open.set(slot, quote.quoteId);
        else this.#open.delete(slot);
      }
      return quote;
    } catch (err) {
      if (slot !== undefined) this.#open.delete(slot);
      throw err;
    }
  }

  /** Accepts a quote through order entry: one door for every order, OTC or not. */
  accept(accountId: string, request: QuoteAcceptRequest): Promise<OrderOutcome> {
    return this.#deps.orders.acceptQuote(accountId, request);
  }

  async decline(accountId: string, quoteId: string): Promise<QuoteView> {
    const result = await submitCommand(this.#deps.bus, { type: 'DeclineQuote', accountId, quoteId });
    return closedQuote(result.events) ?? (await this.get(accountId, quoteId));
  }

  /** The firm withdraws one of its quotes. */
  async withdraw(quoteId: string): Promise<void> {
    await submitCommand(this.#deps.bus, { type: 'WithdrawQuote', quoteId });
  }

  /** Withdraws every open quote of a provider (a dealer connection that closed). */
  async withdrawProvider(provider: string): Promise<void> {
    await submitCommand(this.#deps.bus, { type: 'WithdrawQuote', provider });
  }

  /** A quote of the account, from the core (open or recently closed), else the history. */
  async get(accountId: string, quoteId: string): Promise<QuoteView> {
    const live = this.#deps.bus.core.quote(accountId, quoteId);
    if (live) return withLapse(live, this.#deps.clock());
    await this.#deps.historySynced?.();
    const past = this.#deps.history?.getQuote(accountId, quoteId);
    if (past) return withLapse(past, this.#deps.clock());
    throw bad('QUOTE_NOT_FOUND', 'No such quote for this account.', 404);
  }

  async list(accountId: string, cursor: string | undefined, limit: number) {
    await this.#deps.historySynced?.();
    const page = this.#history().listQuotes(accountId, cursor, limit);
    const now = this.#deps.clock();
    return { ...page, items: page.items.map((q) => withLapse(q, now)) };
  }

  async trades(accountId: string, cursor: string | undefined, limit: number) {
    await this.#deps.historySynced?.();
    return this.#history().listQuoteTrades(accountId, cursor, limit);
  }

  #history() {
    const h = this.#deps.history;
    if (h === undefined) throw bad('SERVICE_UNAVAILABLE', 'History is not available.', 503);
    return h;
  }

  #checkSize(accountId: string, inst: InstrumentSpec, input: RfqInput): void {
    const assets = this.#deps.bus.core.assets();
    const bd = assets.find((a) => a.asset === inst.base)?.decimals ?? 0;
    const qd = assets.find((a) => a.asset === inst.quote)?.decimals ?? 0;
    if (input.quantity !== undefined) {
      const q = parseFixed(input.quantity, bd);
      if (q === 'malformed' || q === 0n) throw bad('INVALID_QUANTITY', 'quantity must be a positive decimal string.');
      if (q === 'too_precise' || q % (parseFixed(inst.lotSize, bd) as bigint) !== 0n) throw bad('QUANTITY_OFF_LOT', `quantity must be a multiple of the lot size ${inst.lotSize}.`);
      if (q < (parseFixed(inst.minQuantity, bd) as bigint)) throw bad('QUANTITY_TOO_SMALL', `quantity is below the minimum ${inst.minQuantity}.`);
      // The notional limits, first at the reference price (so no provider is asked for what cannot be quoted), then exactly at the quote's price.
      const ref = this.#referencePrice(inst.symbol, qd);
      if (ref !== undefined) this.#deps.limiter.check(accountId, inst.quote, (ref * q) / pow10(bd));
    } else {
      const a = parseFixed(input.quoteQuantity, qd);
      if (typeof a !== 'bigint' || a === 0n) throw bad('INVALID_QUANTITY', 'quoteQuantity must be a positive decimal string at the quote scale.');
      if (a < (parseFixed(inst.minNotional, qd) as bigint)) throw bad('NOTIONAL_TOO_SMALL', `quoteQuantity is below the minimum notional ${inst.minNotional}.`);
      this.#deps.limiter.check(accountId, inst.quote, a);
    }
  }

  /** Last trade, else mid, else the one best price there is; undefined for an empty market. */
  #referencePrice(symbol: string, qd: number): bigint | undefined {
    const core = this.#deps.bus.core;
    const last = core.recentTrades(symbol, 1)[0]?.price;
    const book = core.book(symbol, 1);
    const bid = book?.bids[0]?.price;
    const ask = book?.asks[0]?.price;
    const text = last ?? (bid !== undefined && ask !== undefined ? undefined : bid ?? ask);
    if (text !== undefined) return parseFixed(text, qd) as bigint;
    if (bid === undefined || ask === undefined) return undefined;
    return ((parseFixed(bid, qd) as bigint) + (parseFixed(ask, qd) as bigint)) / 2n;
  }

  /** Issues the best answer the core accepts; each refused one (a dealer's off-tick price, say) gives way to the next. */
  async #issueBest(accountId: string, input: RfqInput, inst: InstrumentSpec, answers: ProviderQuote[]): Promise<QuoteView> {
    const { bus, limiter, clock } = this.#deps;
    const qd = bus.core.assets().find((a) => a.asset === inst.quote)?.decimals ?? 0;
    const bd = bus.core.assets().find((a) => a.asset === inst.base)?.decimals ?? 0;
    const now = clock();
    const candidates = answers
      .map((a) => ({ a, rank: rankOf(a, input.side, qd) }))
      .filter((c) => c.rank !== undefined && c.a.validUntil >= now)
      .sort((x, y) => (x.rank! < y.rank! ? -1 : x.rank! > y.rank! ? 1 : 0));
    for (const { a } of candidates) {
      const notional = notionalOf(a, qd, bd);
      if (notional === undefined) continue;
      if (input.quoteQuantity !== undefined && notional > (parseFixed(input.quoteQuantity, qd) as bigint)) continue;
      limiter.check(accountId, inst.quote, notional);
      let result;
      try {
        result = await submitCommand(bus, {
        type: 'IssueQuote', accountId, counterpartyId: a.counterpartyId, provider: a.provider, symbol: inst.symbol, side: input.side,
        ...(a.bidPrice !== undefined && { bidPrice: a.bidPrice }), ...(a.askPrice !== undefined && { askPrice: a.askPrice }),
        quantity: a.quantity, validUntil: a.validUntil,
        ...(input.quoteQuantity !== undefined && { quoteQuantity: input.quoteQuantity }),
        ...(input.clientRfqId !== undefined && { clientRfqId: input.clientRfqId }),
        });
      } catch (err) {
        // The core refused this answer (a dealer's price off the tick, say): try the next one.
        if (err instanceof ApiError && err.status < 500) continue;
        throw err;
      }
      const issued = result.events.find((e) => e.type === 'QuoteIssued');
      if (issued?.type !== 'QuoteIssued') continue;
      limiter.record(accountId, inst.quote, notional);
      return issued.quote;
    }
    throw bad('RFQ_NO_QUOTE', 'No quote provider priced this request in time (the book may not cover the size, or the price would be outside the band).', 422);
  }

  #stillOpen(accountId: string, slot: string): boolean {
    const quoteId = this.#open.get(slot);
    if (quoteId === undefined) return false;
    if (quoteId === '') return true;
    const q = this.#deps.bus.core.quote(accountId, quoteId);
    if (q !== undefined && q.status === 'open' && q.validUntil >= this.#deps.clock()) return true;
    this.#open.delete(slot);
    return false;
  }

  #onEvents(events: readonly CoreEvent[]): void {
    for (const e of events) {
      if (e.type === 'QuoteClosed' && e.quote.clientRfqId !== undefined) {
        const slot = `${e.quote.accountId} ${e.quote.clientRfqId}`;
        if (this.#open.get(slot) === e.quote.quoteId) this.#open.delete(slot);
      }
    }
  }
}

/** Lower is better: the ask for a buy, minus the bid for a sell, the spread for a two-way quote. */
function rankOf(a: ProviderQuote, side: QuoteSide, qd: number): bigint | undefined {
  const ask = a.askPrice === undefined ? undefined : parseFixed(a.askPrice, qd);
  const bid = a.bidPrice === undefined ? undefined : parseFixed(a.bidPrice, qd);
  if (side === 'buy') return typeof ask === 'bigint' ? ask : undefined;
  if (side === 'sell') return typeof bid === 'bigint' ? -bid : undefined;
  return typeof ask === 'bigint' && typeof bid === 'bigint' ? ask - bid : undefined;
}

/** The largest notional of the quote (its ask side when it has one), in quote units. */
function notionalOf(a: ProviderQuote, qd: number, bd: number): bigint | undefined {
  const quantity = parseFixed(a.quantity, bd);
  const price = parseFixed(a.askPrice ?? a.bidPrice, qd);
  if (typeof quantity !== 'bigint' || typeof price !== 'bigint') return undefined;
  return (price * quantity) / pow10(bd);
}

function closedQuote(events: readonly CoreEvent[]): QuoteView | undefined {
  for (const e of events) if (e.type === 'QuoteClosed') return e.quote;
  return undefined;
}

/** An open quote past its validUntil is reported expired: the core closes it on its next quote command. */
function withLapse(q: QuoteView, now: number): QuoteView {
  return q.status === 'open' && q.validUntil < now ? { ...q, status: 'expired' } : q;
}
