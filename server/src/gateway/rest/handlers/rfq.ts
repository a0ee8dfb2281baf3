/** REST for the OTC desk: request, get, accept, decline and list quotes, and list quote trades. */
import { InvalidCursorError } from '../../../history/cursor.js';
import { apiOrderResult, fillFromRecord } from '../../../order-entry/views.js';
import type { RfqDesk } from '../../../rfq/desk.js';
import { toApiQuote } from '../../../rfq/views.js';
import type { HandlerMap } from '../operations.js';
import { invalidCursorError } from '../pagination.js';
import { accountOf } from './orders.js';

type RfqOps = 'requestQuote' | 'listRfqs' | 'getQuote' | 'acceptQuote' | 'declineQuote' | 'listQuoteTrades';

async function withCursorErrors<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InvalidCursorError) throw invalidCursorError();
    throw err;
  }
}

export function rfqHandlers({ desk }: { desk: RfqDesk }): Pick<HandlerMap, RfqOps> {
  return {
    requestQuote: async ({ principal, body }) => ({ status: 201, body: toApiQuote(await desk.request(accountOf(principal), body)) }),
    listRfqs: async ({ principal, query }) => {
      const page = await withCursorErrors(() => desk.list(accountOf(principal), query.cursor, query.limit ?? 100));
      return { status: 200, body: { data: page.items.map(toApiQuote), nextCursor: page.nextCursor ?? null } };
    },
    getQuote: async ({ principal, path }) => ({ status: 200, body: toApiQuote(await desk.get(accountOf(principal), path.quoteId)) }),
    acceptQuote: async ({ principal, path, body }) => {
      const accountId = accountOf(principal);
      const result = apiOrderResult(await desk.accept(accountId, { quoteId: path.quoteId, ...body }));
      return { status: 201, body: { quote: toApiQuote(await desk.get(accountId, path.quoteId)), ...result } };
    },
    declineQuote: async ({ principal, path }) => ({ status: 200, body: toApiQuote(await desk.decline(accountOf(principal), path.quoteId)) }),
    listQuoteTrades: async ({ principal, query }) => {
      const page = await withCursorErrors(() => desk.trades(accountOf(principal), query.cursor, query.limit ?? 100));
      return { status: 200, body: { data: page.items.map(fillFromRecord), nextCursor: page.nextCursor ?? null } };
    },
  };
}
