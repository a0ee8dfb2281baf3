/**
 * Reads a MarketDataRequest (V) that passed the dictionary, and decides what of it we serve. A
 * request we cannot serve is refused with its MDReqRejReason(281) and a catalog code for Text(58),
 * in a fixed order: the subscription type, the entry types, the depth, the update type, the
 * aggregation, OpenCloseSettlFlag; the symbols are checked against the instruments by the caller.
 * Other FIX 4.4 fields of the message (Scope, MDImplicitDelete, trading sessions, underlyings,
 * legs) are accepted and do not change the answer.
 */
import type { BookDepth } from '../../../../generated/asyncapi.js';
import type { ErrorCode } from '../../../../generated/error-catalog.js';
import type { FixMessage } from './codec.js';
import { Tag } from './tags.js';

/** The depths the WebSocket `book` channel offers; a FIX book has the same choice. */
export const BOOK_DEPTHS: readonly BookDepth[] = [1, 5, 10, 25, 50, 100];

/** MDReqRejReason(281) values. */
export const MDReqRejReason = {
  UnknownSymbol: '0',
  DuplicateMDReqID: '1',
  InsufficientBandwidth: '2',
  InsufficientPermissions: '3',
  UnsupportedSubscriptionRequestType: '4',
  UnsupportedMarketDepth: '5',
  UnsupportedMDUpdateType: '6',
  UnsupportedAggregatedBook: '7',
  UnsupportedMDEntryType: '8',
  UnsupportedOpenCloseSettlFlag: 'B',
} as const;

/** MDEntryType(269) values we serve. */
export const MDEntryType = { Bid: '0', Offer: '1', Trade: '2' } as const;

export interface MarketDataRequest {
  mdReqId: string;
  /** 0 snapshot, 1 snapshot and updates, 2 end the subscription with this MDReqID. */
  kind: 'snapshot' | 'subscribe' | 'unsubscribe';
  symbols: string[];
  bids: boolean;
  offers: boolean;
  trades: boolean;
  /** Levels per side (0 when no book side is asked for). */
  depth: number;
}

export interface MarketDataRefusal {
  mdReqId: string;
  /** Absent when no MDReqRejReason fits (an unknown MDReqID to end). */
  reason?: string;
  code: ErrorCode;
  text: string;
}

export function refusal(mdReqId: string, reason: string | undefined, code: ErrorCode, text: string): MarketDataRefusal {
  return { mdReqId, ...(reason !== undefined && { reason }), code, text };
}

/** Every value of `tag` in wire order (the group members of a validated message). */
function all(m: FixMessage, tag: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.tags.length; i++) if (m.tags[i] === tag) out.push(m.valueAt(i));
  return out;
}

/** The symbols of NoRelatedSym: in a MarketDataRequest Symbol(55) appears only there. */
export function requestedSymbols(m: FixMessage): string[] {
  return [...new Set(all(m, Tag.Symbol))];
}

export function readMarketDataRequest(m: FixMessage): MarketDataRequest | MarketDataRefusal {
  const mdReqId = m.get(Tag.MDReqID)!;
  const type = m.get(Tag.SubscriptionRequestType)!;
  const kind = type === '0' ? 'snapshot' : type === '1' ? 'subscribe' : type === '2' ? 'unsubscribe' : undefined;
  if (!kind) {
    return refusal(mdReqId, MDReqRejReason.UnsupportedSubscriptionRequestType, 'VALIDATION_FAILED', `SubscriptionRequestType(263) ${type} is not supported: use 0, 1 or 2`);
  }
  const symbols = requestedSymbols(m);
  const types = new Set(all(m, Tag.MDEntryType));
  const base = { mdReqId, kind, symbols, bids: types.has(MDEntryType.Bid), offers: types.has(MDEntryType.Offer), trades: types.has(MDEntryType.Trade) } as const;
  if (kind === 'unsubscribe') return { ...base, depth: 0 };

  const unsupported = [...types].filter((t) => t !== MDEntryType.Bid && t !== MDEntryType.Offer && t !== MDEntryType.Trade);
  if (unsupported.length > 0) {
    return refusal(mdReqId, MDReqRejReason.UnsupportedMDEntryType, 'VALIDATION_FAILED', `MDEntryType(269) ${unsupported.join(', ')} is not supported: use 0 (bid), 1 (offer) or 2 (trade)`);
  }
  const depthText = m.get(Tag.MarketDepth)!;
  const depth = Number(depthText);
  const book = base.bids || base.offers;
  if (book && !BOOK_DEPTHS.includes(depth as BookDepth)) {
    return refusal(mdReqId, MDReqRejReason.UnsupportedMarketDepth, 'VALIDATION_FAILED', `MarketDepth(264) ${depthText} is not supported: use one of ${BOOK_DEPTHS.join(', ')}`);
  }
  const updateType = m.get(Tag.MDUpdateType);
  if (kind === 'subscribe' && updateType === '0') {
    return refusal(mdReqId, MDReqRejReason.UnsupportedMDUpdateType, 'VALIDATION_FAILED', 'MDUpdateType(265) 0 (full refresh) is not supported: updates are incremental (1)');
  }
  if (m.get(Tag.AggregatedBook) === 'N') {
    return refusal(mdReqId, MDReqRejReason.UnsupportedAggregatedBook, 'VALIDATION_FAILED', 'AggregatedBook(266) N is not supported: the book is aggregated by price level');
  }
  if (m.has(Tag.OpenCloseSettlFlag)) {
    return refusal(mdReqId, MDReqRejReason.UnsupportedOpenCloseSettlFlag, 'VALIDATION_FAILED', 'OpenCloseSettlFlag(286) is not supported: there are no opening, closing or settlement entries');
  }
  return { ...base, depth: book ? depth : 0 };
}
