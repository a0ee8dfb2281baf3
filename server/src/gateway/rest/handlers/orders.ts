import type { components } from '../../../../../generated/openapi.js';
import type { OrderStatus } from '../../../core/api.js';
import { ApiError } from '../../../errors/api-error.js';
import type { HistoryStore } from '../../../history/store.js';
import { InvalidCursorError } from '../../../history/cursor.js';
import type { OrderEntry } from '../../../order-entry/order-entry.js';
import { fillFromRecord, toApiOrder } from '../../../order-entry/views.js';
import { invalidCursorError } from '../pagination.js';
import { problemFor } from '../problem.js';
import type { HandlerMap, Principal } from '../operations.js';

type OrderOps =
  | 'placeOrder' | 'placeOrderBatch' | 'amendOrder' | 'amendOrderByClientId' | 'cancelOrder' | 'cancelOrderByClientId'
  | 'cancelAllOrders' | 'getOrder' | 'getOrderByClientId' | 'listOpenOrders' | 'listOrders' | 'listFills';

export interface OrderDeps {
  orders: OrderEntry;
  history: HistoryStore;
  /** History reads wait for it, so a client sees its own acknowledged orders and fills. */
  historySynced: () => Promise<void>;
}

export function accountOf(principal: Principal | undefined): string {
  if (!principal) throw new ApiError({ status: 401, code: 'AUTH_MISSING', detail: 'This operation needs a signed request.' });
  return principal.accountId;
}

function withCursorErrors<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof InvalidCursorError) throw invalidCursorError();
    throw err;
  }
}

export function orderHandlers({ orders, history, historySynced }: OrderDeps): Pick<HandlerMap, OrderOps> {
  return {
    placeOrder: async ({ principal, body }) => ({ status: 201, body: await orders.place(accountOf(principal), body) }),
    placeOrderBatch: async ({ principal, body, requestId }) => {
      const results = await orders.placeBatch(accountOf(principal), body.orders);
      return {
        status: 200,
        body: {
          results: results.map((r) =>
            r.ok ? { ok: true, order: r.order, fills: r.fills } : { ok: false, error: problemFor(r.error.code, r.error.status, r.error.detail, '/v1/orders/batch', requestId) as components['schemas']['Problem'] },
          ),
        },
      };
    },
    amendOrder: async ({ principal, path, body }) => ({ status: 200, body: await orders.amend(accountOf(principal), { orderId: path.orderId }, body) }),
    amendOrderByClientId: async ({ principal, path, body }) => ({ status: 200, body: await orders.amend(accountOf(principal), { clientOrderId: path.clientOrderId }, body) }),
    cancelOrder: async ({ principal, path }) => ({ status: 200, body: await orders.cancel(accountOf(principal), { orderId: path.orderId }) }),
    cancelOrderByClientId: async ({ principal, path }) => ({ status: 200, body: await orders.cancel(accountOf(principal), { clientOrderId: path.clientOrderId }) }),
    cancelAllOrders: async ({ principal, query, headers }) =>
      orders.idempotent(accountOf(principal), headerValue(headers['idempotency-key']), { op: 'cancelAll', symbol: query.symbol }, async () => ({
        status: 200 as const,
        body: { canceled: await orders.cancelAll(accountOf(principal), query.symbol) },
      })),
    getOrder: async ({ principal, path }) => ({ status: 200, body: await orders.getOrder(accountOf(principal), { orderId: path.orderId }) }),
    getOrderByClientId: async ({ principal, path }) => ({ status: 200, body: await orders.getOrder(accountOf(principal), { clientOrderId: path.clientOrderId }) }),
    listOpenOrders: ({ principal, query }) => ({ status: 200, body: { data: orders.openOrders(accountOf(principal), query.symbol) } }),
    listOrders: async ({ principal, query }) => {
      await historySynced();
      const page = withCursorErrors(() =>
        history.listOrders(
          accountOf(principal),
          {
            ...(query.symbol !== undefined && { symbol: query.symbol }),
            ...(query.status !== undefined && { status: [query.status as OrderStatus] }),
            ...(query.start !== undefined && { from: query.start }),
            ...(query.end !== undefined && { to: query.end }),
          },
          query.cursor,
          query.limit ?? 100,
        ),
      );
      return { status: 200, body: { data: page.items.map((o) => toApiOrder(o)), nextCursor: page.nextCursor ?? null } };
    },
    listFills: async ({ principal, query }) => {
      await historySynced();
      const page = withCursorErrors(() =>
        history.listFills(
          accountOf(principal),
          { ...(query.symbol !== undefined && { symbol: query.symbol }), ...(query.start !== undefined && { from: query.start }), ...(query.end !== undefined && { to: query.end }) },
          query.cursor,
          query.limit ?? 100,
        ),
      );
      return { status: 200, body: { data: page.items.map(fillFromRecord), nextCursor: page.nextCursor ?? null } };
    },
  };
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
