import type { components } from '../../../../../generated/openapi.js';
import type { OrderRef, OrderStatus, OrderView } from '../../../core/api.js';
import { ApiError } from '../../../errors/api-error.js';
import { formatRateLimit, formatRateLimitPolicy } from '../../../limits/index.js';
import type { HistoryReader } from '../../../history/reader.js';
import { InvalidCursorError } from '../../../history/cursor.js';
import type { OrderEntry } from '../../../order-entry/order-entry.js';
import { apiCanceledOrders, apiOrderResult, fillFromRecord, placeRequestFromApi, refusalError, toApiOrder } from '../../../order-entry/views.js';
import { decodeCursor, encodeCursor, invalidCursorError } from '../pagination.js';

/** The most open orders one page of GET /v1/orders/open holds (the contract's maximum and default `limit`). */
export const OPEN_ORDERS_PAGE_CAP = 1000;
import { problemFor } from '../problem.js';
import type { HandlerMap, Principal } from '../operations.js';

type OrderOps =
  | 'placeOrder' | 'placeOrderBatch' | 'amendOrder' | 'amendOrderByClientId' | 'cancelOrder' | 'cancelOrderByClientId'
  | 'cancelAllOrders' | 'getOrder' | 'getOrderByClientId' | 'listOpenOrders' | 'listOrders' | 'listFills';

export interface OrderDeps {
  orders: OrderEntry;
  history: HistoryReader;
  /** History reads wait for it, so a client sees its own acknowledged orders and fills. */
  historySynced: () => Promise<void>;
}

export function accountOf(principal: Principal | undefined): string {
  if (!principal) throw new ApiError({ status: 401, code: 'AUTH_MISSING', detail: 'This operation needs a signed request.' });
  return principal.accountId;
}

async function withCursorErrors<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InvalidCursorError) throw invalidCursorError();
    throw err;
  }
}

export function orderHandlers({ orders, history, historySynced }: OrderDeps): Pick<HandlerMap, OrderOps> {
  return {
    placeOrder: async ({ principal, body }) => {
      const accountId = accountOf(principal);
      const outcome = await orders.place(accountId, placeRequestFromApi(body));
      return { status: 201, body: apiOrderResult(outcome), headers: await orderBudgetHeaders(orders, accountId) };
    },
    placeOrderBatch: async ({ principal, body, requestId, headers }) => {
      const outcomes = await orders.placeBatch(accountOf(principal), body.orders.map(placeRequestFromApi));
      return {
        status: 200,
        headers: await orderBudgetHeaders(orders, accountOf(principal)),
        body: {
          results: outcomes.map((o) => {
            if (o.ok) return { ok: true, ...apiOrderResult(o) };
            const e = refusalError(o);
            return { ok: false, error: problemFor(e.code, e.status, e.detail, '/v1/orders/batch', requestId, { host: typeof headers.host === 'string' ? headers.host : undefined }) as components['schemas']['Problem'] };
          }),
        },
      };
    },
    amendOrder: async ({ principal, path, body }) => ({
      status: 200, body: apiOrderResult(await orders.amend(accountOf(principal), { orderId: path.orderId }, body)), headers: await orderBudgetHeaders(orders, accountOf(principal)),
    }),
    amendOrderByClientId: async ({ principal, path, body }) => ({
      status: 200, body: apiOrderResult(await orders.amend(accountOf(principal), { clientOrderId: path.clientOrderId }, body)), headers: await orderBudgetHeaders(orders, accountOf(principal)),
    }),
    cancelOrder: async ({ principal, path }) => ({ status: 200, body: apiOrderResult(await orders.cancel(accountOf(principal), { orderId: path.orderId })).order }),
    cancelOrderByClientId: async ({ principal, path }) => ({ status: 200, body: apiOrderResult(await orders.cancel(accountOf(principal), { clientOrderId: path.clientOrderId })).order }),
    cancelAllOrders: async ({ principal, query, headers }) =>
      orders.idempotent(accountOf(principal), headerValue(headers['idempotency-key']), { op: 'cancelAll', symbol: query.symbol }, async () => ({
        status: 200 as const,
        body: { canceled: apiCanceledOrders(await orders.cancelAll(accountOf(principal), query.symbol)) },
      })),
    getOrder: async ({ principal, path }) => ({ status: 200, body: toApiOrder(await foundOrder(orders, accountOf(principal), { orderId: path.orderId })) }),
    getOrderByClientId: async ({ principal, path }) => ({ status: 200, body: toApiOrder(await foundOrder(orders, accountOf(principal), { clientOrderId: path.clientOrderId })) }),
    listOpenOrders: ({ principal, query }) => {
      const after = decodeCursor<{ o: string }>(query.cursor, { o: 'string' });
      if (after !== undefined && !/^[1-9][0-9]{0,15}$/.test(after.o)) throw invalidCursorError();
      const page = orders.openOrdersPage(accountOf(principal), query.symbol, { ...(after && { afterOrderId: after.o }), limit: query.limit ?? OPEN_ORDERS_PAGE_CAP });
      return { status: 200, body: { data: page.orders.map((o) => toApiOrder(o)), nextCursor: page.lastOrderId === undefined ? null : encodeCursor({ o: page.lastOrderId }) } };
    },
    listOrders: async ({ principal, query }) => {
      await historySynced();
      const page = await withCursorErrors(() =>
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
      const page = await withCursorErrors(() =>
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

/** The account's order budgets (orders-1s, orders-10s) as RateLimit fields, after the order spent from them. */
async function orderBudgetHeaders(orders: OrderEntry, accountId: string): Promise<Record<string, string>> {
  const usage = await orders.orderRateUsage(accountId);
  return { 'RateLimit-Policy': formatRateLimitPolicy(usage), RateLimit: formatRateLimit(usage) };
}

async function foundOrder(orders: OrderEntry, accountId: string, ref: OrderRef): Promise<OrderView> {
  const order = await orders.findOrder(accountId, ref);
  if (!order) throw new ApiError({ status: 404, code: 'ORDER_NOT_FOUND', detail: 'No such order for this account.' });
  return order;
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
