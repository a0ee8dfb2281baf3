/**
 * An order's view as its history row keeps it (schema version 3): the fields that have columns of
 * their own (order id, client order id, account, symbol, status, created time) are not repeated,
 * and the others are written as values without their keys, `|` between them, enumerations as one
 * letter and the update time as its distance from the created time: about 70 bytes instead of the
 * view's 320 of JSON, and a few template-string steps instead of `JSON.stringify`.
 *
 * Read back, the view has the fields in the core's order (core/view-objects.ts), so it is the
 * view the core made, byte for byte once stringified. A view whose values this form cannot carry
 * exactly (a `|` in a decimal, an unknown enumeration value, an empty optional text, a time that
 * is not a safe integer) is kept as its JSON text instead, which starts with `{`: the row never
 * loses anything.
 */
import type { OrderView } from '../core/api.js';

/** The columns of an order's row that rebuild its view. */
export interface PackedOrderRow {
  order_id: string;
  account_id: string;
  client_order_id: string | null;
  symbol: string;
  status: string;
  created_at: number;
  packed_view: string;
}

/** The row columns that `unpackOrderView` reads, for a SELECT. */
export const PACKED_ORDER_COLUMNS = 'order_id, account_id, client_order_id, symbol, status, created_at, packed_view';

const SEPARATOR = '|';
/** One letter per value, by its index in the value's list. The letters are in files: never reorder a list, add new values at its end. */
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const SIDES: readonly string[] = ['buy', 'sell'];
const ORDER_TYPES: readonly string[] = ['limit', 'market', 'stop', 'stop_limit'];
const TIMES_IN_FORCE: readonly string[] = ['GTC', 'IOC', 'FOK', 'GTD'];
const STP_MODES: readonly string[] = ['cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'];
const TRIGGER_STATES: readonly string[] = ['untriggered', 'triggered'];
const CANCEL_REASONS: readonly string[] = [
  'user', 'ioc_remainder', 'fok_unfilled', 'stp', 'expired', 'mass_cancel', 'kill_switch', 'post_only_would_cross', 'market_no_liquidity', 'price_band',
];

/** The letter of a value not in its list: the view does not fit the packed form and is kept as JSON. */
const DOES_NOT_FIT = '';

function letter(values: readonly string[], value: string): string {
  const at = values.indexOf(value);
  return at < 0 ? DOES_NOT_FIT : LETTERS[at]!;
}

function optionalLetter(values: readonly string[], value: string | undefined): string | undefined {
  return value === undefined ? '' : letter(values, value) || undefined;
}

/** A text the packed form can carry (no separator); `undefined` when it cannot. */
function text(value: string): string | undefined {
  return typeof value === 'string' && !value.includes(SEPARATOR) ? value : undefined;
}

/** An optional text: '' when absent; an empty text present cannot be told from absent. */
function optionalText(value: string | undefined): string | undefined {
  return value === undefined ? '' : value === '' ? undefined : text(value);
}

function optionalTime(value: number | undefined): string | undefined {
  return value === undefined ? '' : Number.isSafeInteger(value) ? String(value) : undefined;
}

/** The order's view as its row's `packed_view` column holds it. */
export function packOrderView(o: OrderView): string {
  return packed(o) ?? JSON.stringify(o);
}

function packed(o: OrderView): string | undefined {
  const side = letter(SIDES, o.side);
  const orderType = letter(ORDER_TYPES, o.orderType);
  const timeInForce = letter(TIMES_IN_FORCE, o.timeInForce);
  const stp = letter(STP_MODES, o.stp);
  if (side === DOES_NOT_FIT || orderType === DOES_NOT_FIT || timeInForce === DOES_NOT_FIT || stp === DOES_NOT_FIT) return undefined;
  if (typeof o.postOnly !== 'boolean') return undefined;
  if (!Number.isSafeInteger(o.createdAt) || !Number.isSafeInteger(o.updatedAt)) return undefined;
  const quoteId = optionalText(o.quoteId);
  const price = optionalText(o.price);
  const stopPrice = optionalText(o.stopPrice);
  const triggerState = optionalLetter(TRIGGER_STATES, o.triggerState);
  const triggeredAt = optionalTime(o.triggeredAt);
  const quantity = optionalText(o.quantity);
  const quoteQuantity = optionalText(o.quoteQuantity);
  const filledQuantity = text(o.filledQuantity);
  const remainingQuantity = text(o.remainingQuantity);
  const filledQuote = text(o.filledQuote);
  const averagePrice = optionalText(o.averagePrice);
  const cancelReason = optionalLetter(CANCEL_REASONS, o.cancelReason);
  const expireAt = optionalTime(o.expireAt);
  if (
    quoteId === undefined || price === undefined || stopPrice === undefined || triggerState === undefined || triggeredAt === undefined
    || quantity === undefined || quoteQuantity === undefined || filledQuantity === undefined || remainingQuantity === undefined
    || filledQuote === undefined || averagePrice === undefined || cancelReason === undefined || expireAt === undefined
  ) return undefined;
  // The side's letter first: a packed view never starts with `{`, as a JSON one does.
  return `${side}${orderType}${timeInForce}${stp}${o.postOnly ? '1' : '0'}|${price}|${quantity}|${filledQuantity}|${remainingQuantity}|${filledQuote}`
    + `|${averagePrice}|${cancelReason}|${o.updatedAt - o.createdAt}|${quoteId}|${stopPrice}|${triggerState}|${triggeredAt}|${quoteQuantity}|${expireAt}`;
}

/** The view an order's row holds, as the core made it (same fields, same order). */
export function unpackOrderView(row: PackedOrderRow): OrderView {
  const p = row.packed_view;
  if (p.charCodeAt(0) === 0x7b /* { */) return JSON.parse(p) as OrderView;
  const [
    head, price, quantity, filledQuantity, remainingQuantity, filledQuote, averagePrice, cancelReason, updatedAfter,
    quoteId, stopPrice, triggerState, triggeredAt, quoteQuantity, expireAt,
  ] = p.split(SEPARATOR) as [string, ...string[]];
  const of = (values: readonly string[], at: number) => values[LETTERS.indexOf(head[at]!)]!;
  // Built field by field in the order of core/view-objects.ts: JSON.stringify then writes the same text.
  const view: Record<string, unknown> = { orderId: row.order_id };
  if (row.client_order_id !== null) view.clientOrderId = row.client_order_id;
  if (quoteId !== '') view.quoteId = quoteId;
  view.accountId = row.account_id;
  view.symbol = row.symbol;
  view.side = of(SIDES, 0);
  view.orderType = of(ORDER_TYPES, 1);
  view.timeInForce = of(TIMES_IN_FORCE, 2);
  view.postOnly = head[4] === '1';
  view.stp = of(STP_MODES, 3);
  if (price !== '') view.price = price;
  if (stopPrice !== '') view.stopPrice = stopPrice;
  if (triggerState !== '') view.triggerState = TRIGGER_STATES[LETTERS.indexOf(triggerState!)];
  if (triggeredAt !== '') view.triggeredAt = Number(triggeredAt);
  if (quantity !== '') view.quantity = quantity;
  if (quoteQuantity !== '') view.quoteQuantity = quoteQuantity;
  view.filledQuantity = filledQuantity;
  view.remainingQuantity = remainingQuantity;
  view.filledQuote = filledQuote;
  if (averagePrice !== '') view.averagePrice = averagePrice;
  view.status = row.status;
  if (cancelReason !== '') view.cancelReason = CANCEL_REASONS[LETTERS.indexOf(cancelReason!)];
  if (expireAt !== '') view.expireAt = Number(expireAt);
  view.createdAt = row.created_at;
  view.updatedAt = row.created_at + Number(updatedAfter);
  return view as unknown as OrderView;
}
