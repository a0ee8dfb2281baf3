/** Random but valid histories (event streams) and a reader for whole paginated lists, for the history tests. */
import fc from 'fast-check';
import type { CoreEvent, OrderView } from '../../server/src/core/api.js';
import type { Page } from '../../server/src/history/index.js';

export const ACCOUNTS = ['alice', 'bob'];
export const SYMBOLS = ['BTC-USD', 'ETH-USD'];

/** One step of a random history: a new order, a fill or cancel of an existing one, or a balance change. */
export type Step =
  | { kind: 'place'; account: number; symbol: number }
  | { kind: 'fill'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'balance'; account: number; asset: number };

export const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('place' as const), account: fc.nat(1), symbol: fc.nat(1) }),
  fc.record({ kind: fc.constant('fill' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('balance' as const), account: fc.nat(1), asset: fc.nat(1) }),
);

/** Turns steps into a valid event stream (seq +1, ts advancing) and the expected final orders. */
export function eventsFor(steps: Step[]): { events: CoreEvent[]; orders: Map<string, OrderView> } {
  const events: CoreEvent[] = [];
  const orders = new Map<string, OrderView>();
  let seq = 0;
  let tradeId = 0;
  for (const s of steps) {
    const ts = 1_000 + seq * 10;
    if (s.kind === 'place') {
      const orderId = `o${orders.size + 1}`;
      const order: OrderView = {
        orderId, clientOrderId: `c-${orderId}`, accountId: ACCOUNTS[s.account]!, symbol: SYMBOLS[s.symbol]!, side: 'buy', orderType: 'limit',
        timeInForce: 'GTC', postOnly: false, stp: 'cancel_newest', price: '10', quantity: '5', filledQuantity: '0', remainingQuantity: '5',
        filledQuote: '0', status: 'new', createdAt: ts, updatedAt: ts,
      };
      orders.set(orderId, order);
      events.push({ type: 'OrderAccepted', seq: ++seq, ts, order });
      continue;
    }
    if (s.kind === 'balance') {
      events.push({ type: 'BalanceChanged', seq: ++seq, ts, accountId: ACCOUNTS[s.account]!, asset: ['USD', 'BTC'][s.asset]!, total: `${seq}`, available: `${seq}`, hold: '0', reason: 'deposit' });
      continue;
    }
    const open = [...orders.values()].filter((o) => o.status === 'new' || o.status === 'partially_filled');
    if (open.length === 0) continue;
    const target = open[s.pick % open.length]!;
    if (s.kind === 'cancel') {
      const order: OrderView = { ...target, status: 'canceled', remainingQuantity: '0', updatedAt: ts };
      orders.set(order.orderId, order);
      events.push({ type: 'OrderCanceled', seq: ++seq, ts, order, reason: 'user' });
    } else {
      const filled = Number(target.filledQuantity) + 1;
      const order: OrderView = {
        ...target, filledQuantity: String(filled), remainingQuantity: String(5 - filled), status: filled === 5 ? 'filled' : 'partially_filled', updatedAt: ts,
      };
      orders.set(order.orderId, order);
      events.push({ type: 'OrderFilled', seq: ++seq, ts, order, tradeId: ++tradeId, price: '10', quantity: '1', liquidity: 'maker', fee: '0.01', feeAsset: 'USD' });
    }
  }
  return { events, orders };
}

export function collect<T>(fetch: (cursor: string | undefined) => Page<T>): T[] {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = fetch(cursor);
    all.push(...page.items);
    if (page.nextCursor === undefined) return all;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

