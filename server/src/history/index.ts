/** Order, fill and balance-change history, projected from core events into SQLite. */
export { InvalidCursorError } from './cursor.js';
export {
  MAX_PAGE_LIMIT, type BalanceChangeFilters, type BalanceChangeRecord, type FillFilters, type FillRecord, type OrderFilters, type Page, type TimeRange,
} from './queries.js';
export { isLedgerMovement, PROJECTED_EVENT_TYPES } from './projection.js';
export { HistoryStore, openHistoryStore } from './store.js';
