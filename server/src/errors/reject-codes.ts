/**
 * How the core's reject codes surface on the API: REST problem status and WebSocket error frames
 * use the same code string; only the HTTP status is decided here. FIX maps the same codes to
 * OrdRejReason/CxlRejReason in its own gateway.
 *
 *   400  the request breaks a documented rule of the instrument or of the order
 *   404  the thing named does not exist for this caller
 *   409  conflicts with existing state (duplicates)
 *   422  well-formed and within the rules, but refused by the market state or the account's state
 */
import type { RejectCode, RejectDetails } from '../core/api.js';
import { ApiError } from './api-error.js';

export const REJECT_STATUS: Record<RejectCode, 400 | 404 | 409 | 422> = {
  UNKNOWN_ACCOUNT: 404,
  ACCOUNT_EXISTS: 409,
  UNKNOWN_ASSET: 400,
  ASSET_EXISTS: 409,
  UNKNOWN_SYMBOL: 400,
  SYMBOL_EXISTS: 409,
  INVALID_INSTRUMENT: 400,
  INVALID_AMOUNT: 400,
  INSUFFICIENT_FUNDS: 422,
  INSTRUMENT_HALTED: 422,
  INSTRUMENT_CANCEL_ONLY: 422,
  INSTRUMENT_POST_ONLY: 422,
  INVALID_ORDER: 400,
  INVALID_PRICE: 400,
  INVALID_QUANTITY: 400,
  PRICE_OFF_TICK: 400,
  QUANTITY_OFF_LOT: 400,
  QUANTITY_TOO_SMALL: 400,
  QUANTITY_TOO_LARGE: 400,
  NOTIONAL_TOO_SMALL: 400,
  PRICE_OUTSIDE_BAND: 400,
  INVALID_EXPIRY: 400,
  DUPLICATE_CLIENT_ORDER_ID: 409,
  TOO_MANY_OPEN_ORDERS: 422,
  KILL_SWITCH_ACTIVE: 422,
  POST_ONLY_WOULD_CROSS: 422,
  FOK_NOT_FILLABLE: 422,
  NO_LIQUIDITY: 422,
  ORDER_NOT_FOUND: 404,
  AMEND_NO_CHANGE: 400,
  INVALID_FEE_SCHEDULE: 400,
  INVALID_COMMAND: 400,
  QUOTE_NOT_FOUND: 404,
  QUOTE_EXPIRED: 422,
  QUOTE_NOT_OPEN: 409,
  QUOTE_MISMATCH: 400,
  QUOTE_UNAVAILABLE: 422,
  INVALID_QUOTE: 400,
  STOP_PRICE_REQUIRED: 400,
  STOP_PRICE_WRONG_SIDE: 422,
};

/** The ApiError a gateway raises for a core rejection; the rejection's figures become problem members. */
export function rejectionError(code: RejectCode, message: string, details?: RejectDetails): ApiError {
  return new ApiError({ status: REJECT_STATUS[code] ?? 400, code, detail: message, ...(details && { extra: { ...details } }) });
}
