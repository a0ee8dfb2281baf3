/** Refusing a command: one rejection event, and the failure recorded for the command's result. */
import type { Command, RejectCode, RejectDetails } from './api.js';
import { emitCommandRejected, emitOrderRejected, type RejectedOrderIdentity } from './events.js';
import type { CoreState } from './state.js';

/** Refuses a PlaceOrder (OrderRejected). */
export function rejectOrder(st: CoreState, order: RejectedOrderIdentity, code: RejectCode, message: string, details?: RejectDetails): void {
  emitOrderRejected(st, order, code, message);
  st.failure = { code, message, ...(details && { details }) };
}

/** Refuses any other command (CommandRejected). */
export function rejectCommand(
  st: CoreState, commandType: Command['type'], accountId: string | undefined, code: RejectCode, message: string,
  orderId?: string, clientOrderId?: string, details?: RejectDetails,
): void {
  emitCommandRejected(st, commandType, accountId, code, message, orderId, clientOrderId);
  st.failure = { code, message, ...(details && { details }) };
}
