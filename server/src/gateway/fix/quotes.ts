/**
 * OTC request for quote over FIX: QuoteRequest (R) is priced by the RFQ desk (the same validation,
 * limits, providers and catalog codes as REST and WebSocket) and answered with a firm Quote (S) or
 * a QuoteRequestReject (AG); QuoteResponse (AJ) with QuoteRespType 6 (pass) declines a quote and is
 * answered with a QuoteStatusReport (AI); a quote the firm withdraws is cancelled with QuoteCancel
 * (Z) to the session that requested it. The accept is a NewOrderSingle with OrdType D and QuoteID
 * (see `quoteAcceptFromFix`), which the application sends through order entry like any order.
 */
import type { Logger } from 'pino';
import type { CoreEvent, QuoteSide, QuoteView } from '../../core/api.js';
import { ApiError } from '../../errors/api-error.js';
import type { QuoteAcceptRequest } from '../../order-entry/order-entry.js';
import type { RfqDesk, RfqInput } from '../../rfq/desk.js';
import type { CommandBus } from '../../sequencer/api.js';
import type { Field, FixMessage } from './codec.js';
import { normalizeDecimal, sideFromFix, sideToFix } from './execution-report.js';
import { reverseRoute, type FixSession } from './session.js';
import { MsgType, Tag } from './tags.js';
import { formatUtcTimestamp, parseUtcTimestamp } from './time.js';

/** QuoteRequestRejectReason(658) for each catalog code; the code itself goes into Text. */
const QUOTE_REQUEST_REJECT_REASON: Readonly<Record<string, string>> = {
  UNKNOWN_SYMBOL: '1',
  INSTRUMENT_HALTED: '2',
  INSTRUMENT_CANCEL_ONLY: '2',
  RFQ_NOTIONAL_TOO_LARGE: '3',
  RFQ_DAILY_LIMIT: '3',
  RATE_LIMITED: '3',
  UNKNOWN_ACCOUNT: '6',
  RFQ_NO_QUOTE: '8',
};

/** QuoteStatus(297) of a refused QuoteResponse: unknown, expired, or any other refusal. */
const QUOTE_STATUS_OF_REFUSAL: Readonly<Record<string, string>> = { QUOTE_NOT_FOUND: '9', QUOTE_EXPIRED: '7' };

const QuoteStatus = { Rejected: '5', Pass: '11' } as const;
/** QuoteCancelType(298) 1: the quotes named (by QuoteID, for the instruments listed). */
const CANCEL_FOR_SECURITIES = '1';
/** QuoteType(537) 1: tradeable, a firm quote. */
const TRADEABLE = '1';

/** The session that asked for a quote, so its withdrawal can be sent there. */
interface Requester { session: FixSession; quoteReqId: string; route: Field[] }

export class FixQuotes {
  /** Open quotes requested over FIX, by quote id. */
  readonly #requesters = new Map<string, Requester>();
  readonly #unsubscribe: () => void;

  constructor(
    bus: CommandBus,
    private readonly desk: RfqDesk,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.#unsubscribe = bus.onEvents((events) => this.#onEvents(events));
  }

  close(): void {
    this.#unsubscribe();
  }

  /** QuoteRequest (R): one instrument per request; the QuoteReqID is the client RFQ id. */
  async request(session: FixSession, m: FixMessage): Promise<void> {
    const quoteReqId = m.get(Tag.QuoteReqID)!;
    const route = reverseRoute(m);
    const symbol = m.get(Tag.Symbol)!;
    const side = m.get(Tag.Side);
    const reject = (code: string, detail: string): void => {
      session.sendApplication(MsgType.QuoteRequestReject, [
        [Tag.QuoteReqID, quoteReqId],
        [Tag.QuoteRequestRejectReason, QUOTE_REQUEST_REJECT_REASON[code] ?? '99'],
        [Tag.NoRelatedSym, '1'],
        [Tag.Symbol, symbol],
        ...(side !== undefined ? [[Tag.Side, side] as Field] : []),
        [Tag.Account, session.accountId],
        [Tag.Text, `${code}: ${detail}`],
      ], route);
    };
    const account = m.get(Tag.Account);
    if (account !== undefined && account !== session.accountId) return reject('UNKNOWN_ACCOUNT', 'Account(1) does not match the API key');
    const input = this.#rfqInput(m, quoteReqId);
    if (typeof input === 'string') return reject('VALIDATION_FAILED', input);
    let quote: QuoteView;
    try {
      quote = await this.desk.request(session.accountId, input);
    } catch (err) {
      if (err instanceof ApiError) return reject(err.code, err.detail ?? err.message);
      this.logger.error({ err }, 'FIX QuoteRequest failed');
      return reject('SERVICE_UNAVAILABLE', 'the request could not be priced');
    }
    // Registered before the Quote goes out, so a withdrawal right after it still reaches the session.
    if (quote.status === 'open') this.#requesters.set(quote.quoteId, { session, quoteReqId, route });
    session.sendApplication(MsgType.Quote, quoteBody(quote, quoteReqId), route);
  }

  /** QuoteResponse (AJ): QuoteRespType 6 (pass) declines the quote (the dictionary allows no other). */
  async respond(session: FixSession, m: FixMessage): Promise<void> {
    const quoteRespId = m.get(Tag.QuoteRespID)!;
    const quoteId = m.get(Tag.QuoteID);
    const symbol = m.get(Tag.Symbol)!;
    const report = (status: string, text?: string): void => {
      const body: Field[] = [[Tag.QuoteID, quoteId ?? 'NONE'], [Tag.QuoteRespID, quoteRespId], [Tag.Symbol, symbol], [Tag.Account, session.accountId]];
      body.push([Tag.TransactTime, formatUtcTimestamp(this.now())], [Tag.QuoteStatus, status]);
      if (text !== undefined) body.push([Tag.Text, text]);
      session.sendApplication(MsgType.QuoteStatusReport, body, reverseRoute(m));
    };
    if (quoteId === undefined) return report(QuoteStatus.Rejected, 'VALIDATION_FAILED: QuoteID(117) names the quote to pass on');
    const account = m.get(Tag.Account);
    if (account !== undefined && account !== session.accountId) return report(QuoteStatus.Rejected, 'UNKNOWN_ACCOUNT: Account(1) does not match the API key');
    try {
      // Symbol(55) is required here; one that is not the quote's declines nothing.
      if ((await this.desk.get(session.accountId, quoteId)).symbol !== symbol) {
        return report(QuoteStatus.Rejected, `QUOTE_MISMATCH: quote ${quoteId} is not for ${symbol}`);
      }
      await this.desk.decline(session.accountId, quoteId);
      report(QuoteStatus.Pass);
    } catch (err) {
      if (!(err instanceof ApiError)) {
        this.logger.error({ err }, 'FIX QuoteResponse failed');
        return report(QuoteStatus.Rejected, 'SERVICE_UNAVAILABLE: the decline could not be made durable');
      }
      report(QUOTE_STATUS_OF_REFUSAL[err.code] ?? QuoteStatus.Rejected, `${err.code}: ${err.detail ?? err.message}`);
    }
  }

  /** The RFQ in the desk's terms, or why the message cannot be one. */
  #rfqInput(m: FixMessage, quoteReqId: string): RfqInput | string {
    if (m.get(Tag.NoRelatedSym) !== '1') return 'NoRelatedSym(146) must be 1: one instrument per QuoteRequest';
    const side = m.get(Tag.Side);
    const qty = m.get(Tag.OrderQty);
    const cash = m.get(Tag.CashOrderQty);
    const input: RfqInput = { symbol: m.get(Tag.Symbol)!, side: side === undefined ? 'two_way' : (sideFromFix(side) satisfies QuoteSide), clientRfqId: quoteReqId };
    if (qty !== undefined) input.quantity = normalizeDecimal(qty);
    if (cash !== undefined) input.quoteQuantity = normalizeDecimal(cash);
    const validUntil = m.get(Tag.ValidUntilTime);
    if (validUntil !== undefined) {
      input.ttlMs = parseUtcTimestamp(validUntil)! - this.now();
      if (input.ttlMs < 1) return 'ValidUntilTime(62) must be in the future';
    }
    return input;
  }

  #onEvents(events: readonly CoreEvent[]): void {
    for (const e of events) {
      if (e.type !== 'QuoteClosed') continue;
      const requester = this.#requesters.get(e.quote.quoteId);
      if (requester === undefined) continue;
      this.#requesters.delete(e.quote.quoteId);
      if (e.quote.status !== 'withdrawn') continue;
      try {
        requester.session.sendApplication(MsgType.QuoteCancel, [
          [Tag.QuoteReqID, requester.quoteReqId],
          [Tag.QuoteID, e.quote.quoteId],
          [Tag.QuoteCancelType, CANCEL_FOR_SECURITIES],
          [Tag.Account, e.quote.accountId],
          [Tag.NoQuoteEntries, '1'],
          [Tag.Symbol, e.quote.symbol],
        ], requester.route);
      } catch (err) {
        this.logger.error({ err, quoteId: e.quote.quoteId }, 'FIX QuoteCancel failed');
      }
    }
  }
}

/** A firm Quote (S): a bid for a sell or two-way request, an offer for a buy or two-way one. */
function quoteBody(q: QuoteView, quoteReqId: string): Field[] {
  const body: Field[] = [[Tag.QuoteReqID, quoteReqId], [Tag.QuoteID, q.quoteId], [Tag.QuoteType, TRADEABLE], [Tag.Symbol, q.symbol]];
  if (q.side !== 'two_way') body.push([Tag.Side, sideToFix(q.side)]);
  body.push([Tag.OrderQty, q.quantity]);
  if (q.quoteQuantity !== undefined) body.push([Tag.CashOrderQty, q.quoteQuantity]);
  body.push([Tag.Account, q.accountId]);
  if (q.bidPrice !== undefined) body.push([Tag.BidPx, q.bidPrice]);
  if (q.askPrice !== undefined) body.push([Tag.OfferPx, q.askPrice]);
  if (q.bidPrice !== undefined) body.push([Tag.BidSize, q.quantity]);
  if (q.askPrice !== undefined) body.push([Tag.OfferSize, q.quantity]);
  body.push([Tag.ValidUntilTime, formatUtcTimestamp(q.validUntil)], [Tag.TransactTime, formatUtcTimestamp(q.createdAt)]);
  return body;
}

/**
 * The accept of a quote from a NewOrderSingle with OrdType D (previously quoted): QuoteID(117)
 * names the quote, Side the side taken, ClOrdID becomes the client order id; OrderQty and Price,
 * when given, must equal the quote's (the core checks them, QUOTE_MISMATCH). Returns why the
 * message cannot be an accept, as a catalog code and text, when it cannot.
 */
export function quoteAcceptFromFix(m: FixMessage): QuoteAcceptRequest | { code: 'INVALID_ORDER'; text: string } {
  const quoteId = m.get(Tag.QuoteID);
  if (quoteId === undefined) return { code: 'INVALID_ORDER', text: 'INVALID_ORDER: QuoteID(117) is required with OrdType D (previously quoted)' };
  if (m.get(Tag.CashOrderQty) !== undefined) return { code: 'INVALID_ORDER', text: 'INVALID_ORDER: a quote is accepted in full; CashOrderQty(152) is not allowed with OrdType D' };
  const request: QuoteAcceptRequest = { quoteId, side: sideFromFix(m.get(Tag.Side)!), clientOrderId: m.get(Tag.ClOrdID)! };
  const qty = m.get(Tag.OrderQty);
  if (qty !== undefined) request.quantity = normalizeDecimal(qty);
  const price = m.get(Tag.Price);
  if (price !== undefined) request.price = normalizeDecimal(price);
  return request;
}
