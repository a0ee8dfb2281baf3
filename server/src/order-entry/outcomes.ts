/**
 * What order entry answers, in the core's terms: an order's state or a refusal with a catalog
 * code. Gateways translate these to their wire formats (REST and WebSocket: the contract's Order
 * and problem details; FIX: ExecutionReport and OrderCancelReject); nothing here knows a wire.
 */
import type { CancelReason, OrderFilled, OrderView, RejectCode, RejectDetails } from '../core/api.js';
import type { RateLimitDecision } from '../limits/index.js';

/** A refusal's code: the core's reject codes plus order entry's own (all in api-spec/errors.yaml). */
export type RefusalCode = RejectCode | 'RATE_LIMITED' | 'IDEMPOTENCY_CONFLICT' | 'JOURNAL_UNAVAILABLE' | 'SERVICE_UNAVAILABLE' | 'INTERNAL_ERROR';

export interface Refusal {
  ok: false;
  code: RefusalCode;
  message: string;
  /** RATE_LIMITED: the order-rate decision (retry time, usage, header fields). */
  rateLimit?: RateLimitDecision;
  /** ORDER_NOT_FOUND for an order that exists but is finished: its final state. */
  finished?: OrderView;
  /** The seq of the core's OrderRejected event, when the core emitted one (event listeners report it too). */
  rejectedSeq?: number;
  /** The core's figures for the rejection (INSUFFICIENT_FUNDS, PRICE_OUTSIDE_BAND), as problem members. */
  details?: RejectDetails;
}

/** The state of the order a place, amend or cancel acted on once it was durable. */
export interface OrderDone {
  ok: true;
  order: OrderView;
  /** Fills the request itself caused (an order that crossed as a taker). */
  fills: OrderFilled[];
  /** Set when the request left the order canceled (IOC remainder, cancel, ...). */
  cancelReason?: CancelReason;
}

export type OrderOutcome = OrderDone | Refusal;

export interface CanceledOrder { order: OrderView; reason: CancelReason }

export type CancelAllOutcome = { ok: true; canceled: CanceledOrder[]; seq: number } | Refusal;

/** Refusals that say nothing final about the request: a retry may succeed, so they are never replayed. */
const TRANSIENT: ReadonlySet<RefusalCode> = new Set<RefusalCode>(['RATE_LIMITED', 'JOURNAL_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR']);

export function isFinal(outcome: { ok: boolean; code?: RefusalCode }): boolean {
  return outcome.ok || !TRANSIENT.has(outcome.code!);
}

export function refusal(code: RefusalCode, message: string, extra: Pick<Refusal, 'rateLimit' | 'finished' | 'rejectedSeq' | 'details'> = {}): Refusal {
  return { ok: false, code, message, ...extra };
}
