/** Order views of every shape for the history tests, with their fields in the core's order (core/view-objects.ts). */
import fc from 'fast-check';
import type { OrderView } from '../../server/src/core/api.js';

/** Values the core writes, and now and then one it never would (a separator, an unknown name, a fraction of a millisecond). */
const decimal = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.nat(8)).map(([n, scale]) => {
    const digits = n.toString().padStart(scale + 1, '0');
    return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }) },
  { weight: 1, arbitrary: fc.string() },
);
const time = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 ** 48 }) }, { weight: 1, arbitrary: fc.double({ min: 0, max: 1e15, noNaN: true }) });
const name = <T extends string>(...values: T[]) => fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.string() as fc.Arbitrary<T> });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** The fields an order's row has columns for, fixed for one order. */
export interface OrderIdentity { orderId: string; accountId: string; symbol: string; createdAt: number }

export const identity: fc.Arbitrary<OrderIdentity> = fc.record({
  orderId: fc.string({ minLength: 1 }), accountId: fc.string({ minLength: 1 }), symbol: fc.string({ minLength: 1 }), createdAt: time,
});

/** Any view of an order with `id`: optional fields absent or present, in the order the core sets them. */
export function orderView(id: OrderIdentity): fc.Arbitrary<OrderView> {
  return fc.record({
    clientOrderId: optional(fc.string()),
    quoteId: optional(fc.oneof(fc.nat().map(String), fc.string())),
    side: name('buy', 'sell'),
    orderType: name('limit', 'market', 'stop', 'stop_limit'),
    timeInForce: name('GTC', 'IOC', 'FOK', 'GTD'),
    postOnly: fc.boolean(),
    stp: name('cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'),
    price: optional(decimal),
    stop: optional(fc.record({ stopPrice: decimal, triggeredAt: optional(time) })),
    quantity: optional(decimal),
    quoteQuantity: optional(decimal),
    filledQuantity: decimal,
    remainingQuantity: decimal,
    filledQuote: decimal,
    averagePrice: optional(decimal),
    status: name('new', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected'),
    cancelReason: optional(name(
      'user', 'ioc_remainder', 'fok_unfilled', 'stp', 'expired', 'mass_cancel', 'kill_switch', 'post_only_would_cross', 'market_no_liquidity', 'price_band',
    )),
    expireAt: optional(time),
    updatedAt: time,
  }).map((f) => {
    const view: Record<string, unknown> = { orderId: id.orderId };
    if (f.clientOrderId !== undefined) view.clientOrderId = f.clientOrderId;
    if (f.quoteId !== undefined) view.quoteId = f.quoteId;
    Object.assign(view, {
      accountId: id.accountId, symbol: id.symbol, side: f.side, orderType: f.orderType, timeInForce: f.timeInForce, postOnly: f.postOnly, stp: f.stp,
    });
    if (f.price !== undefined) view.price = f.price;
    if (f.stop !== undefined) {
      view.stopPrice = f.stop.stopPrice;
      view.triggerState = f.stop.triggeredAt === undefined ? 'untriggered' : 'triggered';
      if (f.stop.triggeredAt !== undefined) view.triggeredAt = f.stop.triggeredAt;
    }
    if (f.quantity !== undefined) view.quantity = f.quantity;
    if (f.quoteQuantity !== undefined) view.quoteQuantity = f.quoteQuantity;
    Object.assign(view, { filledQuantity: f.filledQuantity, remainingQuantity: f.remainingQuantity, filledQuote: f.filledQuote });
    if (f.averagePrice !== undefined) view.averagePrice = f.averagePrice;
    view.status = f.status;
    if (f.cancelReason !== undefined) view.cancelReason = f.cancelReason;
    if (f.expireAt !== undefined) view.expireAt = f.expireAt;
    Object.assign(view, { createdAt: id.createdAt, updatedAt: f.updatedAt });
    return view as unknown as OrderView;
  });
}

/** `view` with another client order id (or none), in the field's place: right after the order id. */
export function withClientOrderId(view: OrderView, clientOrderId: string | undefined): OrderView {
  const { orderId, clientOrderId: _, ...rest } = view;
  return (clientOrderId === undefined ? { orderId, ...rest } : { orderId, clientOrderId, ...rest }) as OrderView;
}
