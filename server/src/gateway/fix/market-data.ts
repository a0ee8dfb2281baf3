/**
 * FIX market data: MarketDataRequest (V) answered with a MarketDataSnapshotFullRefresh (W) per
 * symbol and, for a subscription, MarketDataIncrementalRefresh (X) after each batch of durable
 * core events; a request we cannot serve gets a MarketDataRequestReject (Y).
 *
 * The book is the WebSocket `book` channel's: the same BookMirror (a full-depth copy fed by the
 * BookLevelChanged events the bus releases) and the same depth-N BookView, so a FIX book and a
 * WebSocket book of one depth hold the same levels, and RptSeq(83) is the same book sequence as
 * `bookSeq` there and on REST. The rules for slow readers and budgets are the WebSocket's too:
 * market data is skipped while the session's unread output passes `conflateBytes` and caught up
 * with a fresh W once it drains; each request spends the `wsSubscribe` weight per symbol; a session
 * holds at most `maxSubscriptions` (request, symbol) pairs. Market data is not kept for resend.
 */
import type { Logger } from 'pino';
import type { CoreEvent, CoreView, TradeView } from '../../core/api.js';
import type { RequestRateLimiter } from '../../limits/index.js';
import { DEFAULT_WS_CONFIG } from '../ws/config.js';
import { BookMirror, type Level } from '../ws/book-mirror.js';
import { BookView } from '../ws/book-view.js';
import { MirroredBooks } from '../ws/mirrored-books.js';
import type { Field, FixMessage } from './codec.js';
import {
  MDEntryType, MDReqRejReason, readMarketDataRequest, refusal, requestedSymbols, type MarketDataRefusal, type MarketDataRequest,
} from './market-data-request.js';
import { reverseRoute, type FixSession } from './session.js';
import { MsgType, Tag } from './tags.js';

export interface FixMarketDataConfig {
  /** (request, symbol) pairs one session may subscribe to (the WebSocket's per-connection maximum). */
  maxSubscriptions: number;
  /** Unread output above which a session's market data is skipped, then caught up with a snapshot. */
  conflateBytes: number;
  /** How often sessions with skipped market data are checked for a drained output. */
  catchUpIntervalMs: number;
}

export const DEFAULT_FIX_MARKET_DATA_CONFIG: Readonly<FixMarketDataConfig> = {
  maxSubscriptions: DEFAULT_WS_CONFIG.maxSubscriptions,
  conflateBytes: DEFAULT_WS_CONFIG.conflateBytes,
  catchUpIntervalMs: 20,
};

/** What a session may do with market data, fixed at its Logon. */
export interface MarketDataAccess {
  /** The key has the `read` scope and the session is not a drop copy. */
  entitled: boolean;
  /** The client's address, for the per-IP request-weight budget. */
  ip: string;
}

/** A live subscription: one MarketDataRequest with 263=1. */
interface Subscription {
  readonly session: FixSession;
  readonly request: MarketDataRequest;
  readonly route: Field[];
  /** Symbols whose updates were skipped; each is owed a fresh snapshot. */
  readonly stale: Set<string>;
}

/** The request weight a subscription spends per symbol: the WebSocket subscribe's. */
const WEIGHT_OPERATION = 'wsSubscribe';

export class FixMarketData {
  readonly #config: FixMarketDataConfig;
  readonly #books: MirroredBooks;
  readonly #bySession = new Map<FixSession, Map<string, Subscription>>();
  readonly #lastTrade = new Map<string, TradeView>();
  readonly #catchUp: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  /** Each session's requests in flight, chained: answers leave in the order the requests came. */
  readonly #pending = new Map<FixSession, Promise<void>>();

  constructor(
    private readonly bus: { core: CoreView; onEvents(listener: (events: readonly CoreEvent[]) => void): () => void },
    private readonly accessOf: (session: FixSession) => MarketDataAccess | undefined,
    private readonly logger: Logger,
    config: Partial<FixMarketDataConfig> = {},
    /** The shared request-weight budgets (REST, WebSocket); none: requests are not charged. */
    private readonly limiter?: RequestRateLimiter,
  ) {
    this.#config = { ...DEFAULT_FIX_MARKET_DATA_CONFIG, ...config };
    this.#books = new MirroredBooks((symbol) => this.bus.core.book(symbol)!, logger, 'fix');
    this.#unsubscribe = bus.onEvents((events) => this.onEvents(events));
    this.#catchUp = setInterval(() => this.catchUp(), this.#config.catchUpIntervalMs);
    this.#catchUp.unref();
  }

  close(): void {
    clearInterval(this.#catchUp);
    this.#unsubscribe();
  }

  /** Subscriptions the session holds now, as (request, symbol) pairs. */
  subscriptionCount(session: FixSession): number {
    let n = 0;
    for (const sub of this.#bySession.get(session)?.values() ?? []) n += sub.request.symbols.length;
    return n;
  }

  /** Handles a MarketDataRequest after the session's earlier ones; returns once its answer is sent. */
  onRequest(session: FixSession, m: FixMessage): Promise<void> {
    const run = (this.#pending.get(session) ?? Promise.resolve()).then(() => this.#handle(session, m));
    const settled = run.catch((err: unknown) => this.logger.error({ err }, 'fix: market-data request failed'));
    this.#pending.set(session, settled);
    void settled.then(() => {
      if (this.#pending.get(session) === settled) this.#pending.delete(session);
    });
    return settled;
  }

  async #handle(session: FixSession, m: FixMessage): Promise<void> {
    const route = reverseRoute(m);
    const mdReqId = m.get(Tag.MDReqID)!;
    const reject = (r: MarketDataRefusal): void => this.#reject(session, r, route);
    const access = this.accessOf(session);

    // As on WebSocket, the weight is spent first: a flood of bad requests costs its sender.
    if (this.limiter && access) {
      const caller = { ip: access.ip, keyId: session.keyId };
      for (let i = 0; i < Math.max(1, requestedSymbols(m).length); i++) {
        const decision = await this.limiter.consume(WEIGHT_OPERATION, caller);
        if (!decision.allowed) {
          return reject(refusal(mdReqId, MDReqRejReason.InsufficientBandwidth, 'RATE_LIMITED', `request-weight budget spent (${decision.refusedBy.join(', ')}); retry after ${decision.retryAfterSeconds} s`));
        }
      }
    }
    if (!access?.entitled) {
      return reject(refusal(mdReqId, MDReqRejReason.InsufficientPermissions, 'AUTH_SCOPE_MISSING', 'market data needs a key with the read scope on a session that is not a drop copy'));
    }
    const request = readMarketDataRequest(m);
    if ('code' in request) return reject(request);
    const held = this.#bySession.get(session);

    if (request.kind === 'unsubscribe') {
      const sub = held?.get(request.mdReqId);
      if (!sub) return reject(refusal(mdReqId, undefined, 'FIX_MD_UNKNOWN_REQ_ID', `no subscription with MDReqID ${request.mdReqId}`));
      this.#remove(sub);
      return;
    }
    if (held?.has(request.mdReqId)) {
      return reject(refusal(mdReqId, MDReqRejReason.DuplicateMDReqID, 'FIX_MD_DUPLICATE_REQ_ID', `MDReqID ${request.mdReqId} names a subscription this session holds`));
    }
    const known = new Set(this.bus.core.instruments().map((i) => i.symbol));
    const unknown = request.symbols.filter((s) => !known.has(s));
    if (unknown.length > 0) return reject(refusal(mdReqId, MDReqRejReason.UnknownSymbol, 'UNKNOWN_SYMBOL', `no instrument has the symbol ${unknown.join(', ')}`));
    if (request.kind === 'subscribe' && this.subscriptionCount(session) + request.symbols.length > this.#config.maxSubscriptions) {
      return reject(refusal(mdReqId, MDReqRejReason.InsufficientBandwidth, 'FIX_MD_TOO_MANY_SUBSCRIPTIONS', `a session holds at most ${this.#config.maxSubscriptions} market-data subscriptions (one per symbol of each request)`));
    }

    if (request.kind === 'snapshot') {
      // A one-off snapshot: from the views if someone keeps one, else from a copy made for it.
      for (const symbol of request.symbols) this.#sendSnapshot(session, request, route, symbol, this.#books.existingView(symbol, request.depth));
      return;
    }
    const sub: Subscription = { session, request, route, stale: new Set() };
    let subs = held;
    if (!subs) this.#bySession.set(session, (subs = new Map()));
    subs.set(request.mdReqId, sub);
    for (const symbol of request.symbols) this.#sendSnapshot(session, request, route, symbol, this.#book(request) ? this.#books.view(symbol, request.depth) : undefined);
  }

  /** The session's connection ended: its subscriptions end with it (a new Logon asks again). */
  onDisconnect(session: FixSession): void {
    for (const sub of [...(this.#bySession.get(session)?.values() ?? [])]) this.#remove(sub);
  }

  onEvents(events: readonly CoreEvent[]): void {
    const touched = new Set<string>();
    const rebuilt = new Set<string>();
    const trades = new Map<string, TradeView[]>();
    for (const e of events) {
      if (e.type === 'BookLevelChanged') this.#books.applyLevel(e, touched, rebuilt);
      else if (e.type === 'TradePrinted') {
        const trade: TradeView = { tradeId: e.tradeId, price: e.price, quantity: e.quantity, takerSide: e.takerSide, ts: e.ts };
        let list = trades.get(e.symbol);
        if (!list) trades.set(e.symbol, (list = []));
        list.push(trade);
        this.#lastTrade.set(e.symbol, trade);
      }
    }

    // Each view moves once per batch; its change is cut into entries per subscription below.
    const changes = new Map<string, BookChange>();
    for (const symbol of touched) {
      if (rebuilt.has(symbol)) continue;
      const mirror = this.#books.mirrorOf(symbol);
      for (const view of this.#books.viewsOf(symbol)) {
        const before = { bids: new Set(view.bids.map(([p]) => p)), asks: new Set(view.asks.map(([p]) => p)) };
        const update = view.refresh(mirror);
        if (update) changes.set(`${symbol}:${view.depth}`, { bids: update.bids, asks: update.asks, before, bookSeq: update.bookSeq });
      }
    }
    for (const symbol of rebuilt) this.#books.resetViews(symbol);
    if (changes.size === 0 && trades.size === 0 && rebuilt.size === 0) return;

    for (const subs of this.#bySession.values()) {
      for (const sub of subs.values()) this.#publish(sub, changes, trades, rebuilt);
    }
  }

  /** Sends fresh snapshots for the symbols whose updates a session missed, once its output drains. */
  catchUp(): void {
    for (const [session, subs] of this.#bySession) {
      if (session.bufferedBytes > this.#config.conflateBytes / 2) continue;
      for (const sub of subs.values()) {
        for (const symbol of [...sub.stale]) {
          sub.stale.delete(symbol);
          this.#sendSnapshot(session, sub.request, sub.route, symbol, this.#book(sub.request) ? this.#books.view(symbol, sub.request.depth) : undefined);
        }
      }
    }
  }

  #publish(sub: Subscription, changes: ReadonlyMap<string, BookChange>, trades: ReadonlyMap<string, TradeView[]>, rebuilt: ReadonlySet<string>): void {
    const { request, session } = sub;
    const entries: Field[][] = [];
    const behind = session.bufferedBytes > this.#config.conflateBytes;
    for (const symbol of request.symbols) {
      const change = this.#book(request) ? changes.get(`${symbol}:${request.depth}`) : undefined;
      const printed = request.trades ? trades.get(symbol) : undefined;
      const owesSnapshot = rebuilt.has(symbol) && this.#book(request);
      if (!change && !printed && !owesSnapshot) continue;
      if (behind || sub.stale.has(symbol) || owesSnapshot) {
        // Skipped now; a fresh snapshot follows once the session has read what it has.
        sub.stale.add(symbol);
        continue;
      }
      for (const t of printed ?? []) entries.push(tradeEntry(symbol, t));
      if (change) {
        if (request.bids) for (const level of change.bids) entries.push(levelEntry(symbol, MDEntryType.Bid, level, change.before.bids, change.bookSeq));
        if (request.offers) for (const level of change.asks) entries.push(levelEntry(symbol, MDEntryType.Offer, level, change.before.asks, change.bookSeq));
      }
    }
    if (entries.length === 0) return;
    session.sendUnstored(MsgType.MarketDataIncrementalRefresh, [[Tag.MDReqID, request.mdReqId], [Tag.NoMDEntries, String(entries.length)], ...entries.flat()], sub.route);
  }

  #sendSnapshot(session: FixSession, request: MarketDataRequest, route: Field[], symbol: string, view: BookView | undefined): void {
    const entries: Field[][] = [];
    let rptSeq: number | undefined;
    if (this.#book(request)) {
      const book = view ?? new BookView(symbol, request.depth, new BookMirror(this.bus.core.book(symbol)!));
      rptSeq = book.bookSeq;
      if (request.bids) for (const [price, size] of book.bids) entries.push([[Tag.MDEntryType, MDEntryType.Bid], [Tag.MDEntryPx, price], [Tag.MDEntrySize, size]]);
      if (request.offers) for (const [price, size] of book.asks) entries.push([[Tag.MDEntryType, MDEntryType.Offer], [Tag.MDEntryPx, price], [Tag.MDEntrySize, size]]);
    }
    if (request.trades) {
      const last = this.#lastTrade.get(symbol) ?? this.bus.core.recentTrades(symbol, 1)[0];
      if (last) entries.push([[Tag.MDEntryType, MDEntryType.Trade], [Tag.MDEntryPx, last.price], [Tag.MDEntrySize, last.quantity], ...entryTime(last.ts)]);
    }
    const body: Field[] = [[Tag.MDReqID, request.mdReqId], [Tag.Symbol, symbol]];
    if (rptSeq !== undefined) body.push([Tag.RptSeq, String(rptSeq)]);
    body.push([Tag.NoMDEntries, String(entries.length)], ...entries.flat());
    session.sendUnstored(MsgType.MarketDataSnapshotFullRefresh, body, route);
  }

  #reject(session: FixSession, r: MarketDataRefusal, route: Field[]): void {
    const body: Field[] = [[Tag.MDReqID, r.mdReqId]];
    if (r.reason !== undefined) body.push([Tag.MDReqRejReason, r.reason]);
    body.push([Tag.Text, `${r.code}: ${r.text}`]);
    // A refusal answers a request: kept for resend like other replies.
    session.sendApplication(MsgType.MarketDataRequestReject, body, route);
  }

  #book(request: MarketDataRequest): boolean {
    return request.bids || request.offers;
  }

  #remove(sub: Subscription): void {
    const subs = this.#bySession.get(sub.session);
    if (!subs?.delete(sub.request.mdReqId)) return;
    if (subs.size === 0) this.#bySession.delete(sub.session);
    if (this.#book(sub.request)) for (const symbol of sub.request.symbols) this.#dropViewIfUnused(symbol, sub.request.depth);
  }

  #dropViewIfUnused(symbol: string, depth: number): void {
    for (const subs of this.#bySession.values()) {
      for (const s of subs.values()) if (this.#book(s.request) && s.request.depth === depth && s.request.symbols.includes(symbol)) return;
    }
    this.#books.drop(symbol, depth);
  }
}

/** One view's change in a batch: the changed levels, the prices it held before, its new book sequence. */
interface BookChange {
  bids: Level[];
  asks: Level[];
  before: { bids: ReadonlySet<string>; asks: ReadonlySet<string> };
  bookSeq: number;
}

/** MDUpdateAction(279) values. */
const MDUpdateAction = { New: '0', Change: '1', Delete: '2' } as const;

/** A level of the view: new, changed, or gone (quantity 0: it left the top N or emptied). */
function levelEntry(symbol: string, type: string, [price, size]: Level, before: ReadonlySet<string>, bookSeq: number): Field[] {
  if (size === '0') return [[Tag.MDUpdateAction, MDUpdateAction.Delete], [Tag.MDEntryType, type], [Tag.Symbol, symbol], [Tag.MDEntryPx, price], [Tag.RptSeq, String(bookSeq)]];
  const action = before.has(price) ? MDUpdateAction.Change : MDUpdateAction.New;
  return [[Tag.MDUpdateAction, action], [Tag.MDEntryType, type], [Tag.Symbol, symbol], [Tag.MDEntryPx, price], [Tag.MDEntrySize, size], [Tag.RptSeq, String(bookSeq)]];
}

function tradeEntry(symbol: string, t: TradeView): Field[] {
  return [
    [Tag.MDUpdateAction, MDUpdateAction.New], [Tag.MDEntryType, MDEntryType.Trade], [Tag.MDEntryID, String(t.tradeId)], [Tag.Symbol, symbol],
    [Tag.MDEntryPx, t.price], [Tag.MDEntrySize, t.quantity], ...entryTime(t.ts),
  ];
}

/** MDEntryDate(272) and MDEntryTime(273) of a time in ms. */
function entryTime(ts: number): Field[] {
  const iso = new Date(ts).toISOString(); // 2025-06-15T15:06:40.123Z
  return [[Tag.MDEntryDate, iso.slice(0, 10).replace(/-/g, '')], [Tag.MDEntryTime, iso.slice(11, 23)]];
}
