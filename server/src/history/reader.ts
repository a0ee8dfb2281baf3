/**
 * The read side of a history store, as the gateways use it: the embedded store (SQLite, which
 * answers at once) and the PostgreSQL store (which answers after a round trip) both fit.
 */
import type { OrderRef, OrderView } from '../core/api.js';
import type { BalanceChangeFilters, BalanceChangeRecord, FillFilters, FillRecord, OrderFilters, Page } from './queries.js';

type Answer<T> = T | Promise<T>;

export interface HistoryReader {
  listOrders(accountId: string, filters?: OrderFilters, cursor?: string, limit?: number): Answer<Page<OrderView>>;
  getOrder(accountId: string, ref: OrderRef): Answer<OrderView | undefined>;
  listFills(accountId: string, filters?: FillFilters, cursor?: string, limit?: number): Answer<Page<FillRecord>>;
  listBalanceChanges(accountId: string, filters?: BalanceChangeFilters, cursor?: string, limit?: number): Answer<Page<BalanceChangeRecord>>;
}
