/** Submits a command and turns a core rejection or a durability failure into the shared ApiError. */
import type { Command, CommandResult } from '../core/api.js';
import { ApiError } from '../errors/api-error.js';
import { rejectionError } from '../errors/reject-codes.js';
import { CoreUnavailableError, DurabilityError, type CommandBus } from '../sequencer/api.js';

export type Accepted = CommandResult & { ok: true };

export async function submitCommand(bus: CommandBus, command: Command): Promise<Accepted> {
  let result: CommandResult;
  try {
    result = await bus.submit(command);
  } catch (err) {
    if (err instanceof CoreUnavailableError) {
      throw new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: coreUnavailableMessage(err), headers: { 'Retry-After': '1' } });
    }
    if (err instanceof DurabilityError) {
      throw new ApiError({ status: 503, code: 'JOURNAL_UNAVAILABLE', detail: 'New state cannot be made durable right now; nothing was changed.' });
    }
    throw err;
  }
  if (!result.ok) throw rejectionError(result.code, result.message, result.details);
  return result;
}

/** What a client is told when the core (distributed mode) did not answer: whether to worry, and how to find out. */
export function coreUnavailableMessage(err: CoreUnavailableError): string {
  return err.notApplied
    ? `The trading core is not available right now (${err.message}); nothing was changed. Retry with the same client order id.`
    : `The trading core did not confirm the request (${err.message}); it may or may not have been applied. Query the order by its client order id, or retry with the same client order id.`;
}
