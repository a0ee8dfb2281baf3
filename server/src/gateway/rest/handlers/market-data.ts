import type { CoreView } from '../../../core/api.js';
import { ApiError } from '../../../errors/api-error.js';
import type { HandlerMap } from '../operations.js';
import { decodeCursor, encodeCursor, pageAfter } from '../pagination.js';

export interface MarketDataDeps {
  core: CoreView;
  clock: () => number;
}

type MarketDataOps = 'listInstruments' | 'getOrderBook' | 'listTrades' | 'listTickers' | 'getCandles';

function unknownSymbol(symbol: string): ApiError {
  return new ApiError({ status: 404, code: 'NOT_FOUND', detail: `No instrument ${symbol}.` });
}

export function marketDataHandlers({ core, clock }: MarketDataDeps): Pick<HandlerMap, MarketDataOps> {
  const exists = (symbol: string) => core.instruments().some((i) => i.symbol === symbol);
  return {
    listInstruments: ({ query }) => {
      const after = decodeCursor<{ symbol: string }>(query.cursor, { symbol: 'string' });
      const sorted = [...core.instruments()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
      const page = pageAfter(sorted, (i) => i.symbol, after?.symbol, query.limit ?? 100);
      return {
        status: 200,
        body: {
          data: page.data.map(({ symbol, base, quote, tickSize, lotSize, minQuantity, maxQuantity, minNotional, priceBandBps, status }) => ({
            symbol, base, quote, tickSize, lotSize, minQuantity, maxQuantity, minNotional, priceBandBps, status,
          })),
          nextCursor: page.nextKey === null ? null : encodeCursor({ symbol: page.nextKey }),
        },
      };
    },
    getOrderBook: ({ path, query }) => {
      const book = core.book(path.symbol, query.depth ?? 50);
      if (!book) throw unknownSymbol(path.symbol);
      return { status: 200, body: { symbol: book.symbol, seq: book.seq, bookSeq: book.bookSeq, bids: book.bids, asks: book.asks } };
    },
    listTrades: ({ path, query }) => {
      if (!exists(path.symbol)) throw unknownSymbol(path.symbol);
      return { status: 200, body: { symbol: path.symbol, data: core.recentTrades(path.symbol, query.limit ?? 100) } };
    },
    listTickers: ({ query }) => {
      const symbols = query.symbol !== undefined ? [query.symbol] : core.instruments().map((i) => i.symbol);
      const now = clock();
      const data = symbols.map((s) => core.ticker(s, now) ?? (() => { throw unknownSymbol(s); })());
      return { status: 200, body: { data } };
    },
    getCandles: ({ path, query }) => {
      if (!exists(path.symbol)) throw unknownSymbol(path.symbol);
      const end = query.end ?? clock();
      const start = query.start ?? end - 24 * 60 * 60 * 1000;
      return { status: 200, body: { symbol: path.symbol, interval: query.interval, data: core.candles(path.symbol, query.interval, start, end) } };
    },
  };
}
