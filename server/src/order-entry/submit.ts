/** Submits a command and turns a core rejection or a durability failure into the shared ApiError. */
import type { Command, CommandResult } from '../core/api.js';
import { ApiError } from '../errors/api-error.js';
import { rejectionError } from '../errors/reject-codes.js';
import { DurabilityError, type CommandBus } from '../sequencer/api.js';

export type Accepted = CommandResult & { ok: true };

export async function submitCommand(bus: CommandBus, command: Command): Promise<Accepted> {
  let result: CommandResult;
  try {
    result = await bus.submit(command);
  } catch (err) {
    if (err instanceof DurabilityError) {
      throw new ApiError({ status: 503, code: 'JOURNAL_UNAVAILABLE', detail: 'New state cannot be made durable right now; nothing was changed.' });
    }
    throw err;
  }
  if (!result.ok) throw rejectionError(result.code, result.message, result.details);
  return result;
}
