import type { InstrumentSpec } from '../../../core/api.js';
import type { HandlerMap } from '../operations.js';
import { decodeCursor, encodeCursor, pageAfter } from '../pagination.js';

export interface MarketDataDeps {
  /** The instrument set, from the core once it runs, from configuration before. */
  instruments: () => readonly InstrumentSpec[];
}

export function marketDataHandlers(deps: MarketDataDeps): Pick<HandlerMap, 'listInstruments'> {
  return {
    listInstruments: ({ query }) => {
      const after = decodeCursor<{ symbol: string }>(query.cursor, { symbol: 'string' });
      const sorted = [...deps.instruments()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
      const page = pageAfter(sorted, (i) => i.symbol, after?.symbol, query.limit ?? 100);
      return {
        status: 200,
        body: {
          data: page.data.map(({ symbol, base, quote, tickSize, lotSize, minQuantity, maxQuantity, minNotional, status }) => ({
            symbol, base, quote, tickSize, lotSize, minQuantity, maxQuantity, minNotional, status,
          })),
          nextCursor: page.nextKey === null ? null : encodeCursor({ symbol: page.nextKey }),
        },
      };
    },
  };
}
