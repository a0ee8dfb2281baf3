/** Validation rules shared by placing and amending orders. Each returns the parsed value or a reject code. */
import type { OrderType, RejectCode, StpMode, TimeInForce } from './api.js';
import { formatFixed, parseFixed, parseUnits } from './fixed.js';
import type { Instrument } from './model.js';
import { big, type Units } from './units.js';

export const ORDER_TYPES: ReadonlySet<string> = new Set<OrderType>(['limit', 'market', 'stop', 'stop_limit']);
export const TIME_IN_FORCE: ReadonlySet<string> = new Set<TimeInForce>(['GTC', 'IOC', 'FOK', 'GTD']);
export const STP_MODES: ReadonlySet<string> = new Set<StpMode>(['cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel']);
/** The STP mode of an order that does not choose one. */
export const DEFAULT_STP: StpMode = 'cancel_newest';

/** Identifiers (account ids, client order ids): 1 to 64 printable ASCII characters, no spaces. */
export function isIdentifier(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export function checkPrice(inst: Instrument, input: unknown): Units | RejectCode {
  const v = parseUnits(input, inst.quote.decimals);
  if (v === 'malformed' || v === 0) return 'INVALID_PRICE';
  if (v === 'too_precise' || !isMultiple(v, inst.tickUnits)) return 'PRICE_OFF_TICK';
  return v;
}

export function checkQuantity(inst: Instrument, input: unknown): Units | RejectCode {
  const v = parseUnits(input, inst.base.decimals);
  if (v === 'malformed' || v === 0) return 'INVALID_QUANTITY';
  if (v === 'too_precise' || !isMultiple(v, inst.lotUnits)) return 'QUANTITY_OFF_LOT';
  if (v < inst.minQuantityUnits) return 'QUANTITY_TOO_SMALL';
  if (v > inst.maxQuantityUnits) return 'QUANTITY_TOO_LARGE';
  return v;
}

/** Whether v is a whole number of steps (a tick, a lot). */
function isMultiple(v: Units, step: Units): boolean {
  return typeof v === 'number' && typeof step === 'number' ? v % step === 0 : big(v) % big(step) === 0n;
}

/** Quote amount of a market buy by quote: any positive amount at the quote scale. */
export function checkQuoteQuantity(inst: Instrument, input: unknown): bigint | RejectCode {
  const v = parseFixed(input, inst.quote.decimals);
  if (typeof v !== 'bigint' || v === 0n) return 'INVALID_QUANTITY';
  return v;
}

/** A human-readable explanation for a rule's reject code on this instrument. */
export function ruleMessage(inst: Instrument, code: RejectCode): string {
  const q = inst.quote.decimals;
  const b = inst.base.decimals;
  switch (code) {
    case 'INVALID_PRICE': return 'price must be a positive decimal string';
    case 'PRICE_OFF_TICK': return `price must be a multiple of the tick size ${formatFixed(inst.tick, q)}`;
    case 'INVALID_QUANTITY': return 'quantity must be a positive decimal string';
    case 'QUANTITY_OFF_LOT': return `quantity must be a multiple of the lot size ${formatFixed(inst.lot, b)}`;
    case 'QUANTITY_TOO_SMALL': return `quantity is below the minimum ${formatFixed(inst.minQuantity, b)}`;
    case 'QUANTITY_TOO_LARGE': return `quantity is above the maximum ${formatFixed(inst.maxQuantity, b)}`;
    case 'NOTIONAL_TOO_SMALL': return `notional is below the minimum ${formatFixed(inst.minNotional, q)}`;
    case 'PRICE_OUTSIDE_BAND': return `price is more than ${inst.priceBandBps} bps from the reference price`;
    default: return code;
  }
}

/** Rejects by instrument status for new orders and amends (cancels are always allowed). */
export function statusBlocksTrading(inst: Instrument): RejectCode | undefined {
  if (inst.status === 'halted') return 'INSTRUMENT_HALTED';
  if (inst.status === 'cancel_only') return 'INSTRUMENT_CANCEL_ONLY';
  return undefined;
}
