/**
 * The core's queries as a durable CommandBus shows them. Writes are out of reach by type
 * (CoreView has no `apply`). Once durability has failed, the in-memory state may hold commands
 * that never reached the journal, so every query then fails with DurabilityError instead of
 * showing it.
 */
import type { CoreView } from '../core/api.js';
import { DurabilityError } from './api.js';

export function queriesUntilFailure(core: CoreView, failure: () => string | undefined): CoreView {
  const check = (): void => {
    const reason = failure();
    if (reason !== undefined) throw new DurabilityError(reason);
  };
  return {
    get seq() {
      check();
      return core.seq;
    },
    instruments: () => (check(), core.instruments()),
    assets: () => (check(), core.assets()),
    book: (symbol, depth) => (check(), core.book(symbol, depth)),
    order: (accountId, ref) => (check(), core.order(accountId, ref)),
    openOrders: (accountId, symbol, page) => (check(), core.openOrders(accountId, symbol, page)),
    balances: (accountId) => (check(), core.balances(accountId)),
    positions: (accountId) => (check(), core.positions(accountId)),
    account: (accountId) => (check(), core.account(accountId)),
    recentTrades: (symbol, limit) => (check(), core.recentTrades(symbol, limit)),
    ticker: (symbol, now) => (check(), core.ticker(symbol, now)),
    candles: (symbol, interval, start, end) => (check(), core.candles(symbol, interval, start, end)),
    quote: (accountId, quoteId) => (check(), core.quote(accountId, quoteId)),
    openQuotes: (accountId) => (check(), core.openQuotes(accountId)),
    ...(core.nextExpiry && { nextExpiry: () => (check(), core.nextExpiry!()) }),
  };
}
