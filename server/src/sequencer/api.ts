/**
 * The command bus between gateways and the trading core. Gateways never call the core's
 * `apply` themselves: they submit a command here, and the sequencer stamps the time, applies
 * it to the single-writer core, journals it, and resolves only once the journal is durable.
 * This is the seam that can later cross a process boundary (one sequenced core per shard).
 */
import type { Command, CommandResult, CoreEvent, CoreView } from '../core/api.js';

export interface CommandBus {
  /**
   * Applies the command and resolves with its result once it is durable. Rejects with a
   * `DurabilityError` (and the command has no visible effect) if the journal cannot be written.
   */
  submit(command: Command): Promise<CommandResult>;
  /** Listens to every event, in sequence order, delivered only after the events are durable and their submitters answered. */
  onEvents(listener: (events: readonly CoreEvent[]) => void): () => void;
  /** The core's queries, read-only by type (they see state up to the latest durable-or-pending command). */
  readonly core: CoreView;
  /** False once durability has failed; gateways then refuse new orders and /health/ready fails. */
  readonly healthy: boolean;
}

/** Raised when a command cannot be made durable; the service must not acknowledge it. */
export class DurabilityError extends Error {
  override readonly name: string = 'DurabilityError';
}

/**
 * Raised by a bus whose core runs elsewhere (distributed mode) when the core did not answer:
 * no leader took the command (`notApplied`: it was never sequenced, a retry is safe), or the
 * answer was lost on the way (the command may have been sequenced). Either way the client is
 * told to retry with the same client order id, which the core's idempotency makes exactly-once.
 * A DurabilityError, so every path that refuses on a journal failure refuses on this too.
 */
export class CoreUnavailableError extends DurabilityError {
  override readonly name = 'CoreUnavailableError';
  constructor(message: string, readonly notApplied: boolean, options?: ErrorOptions) {
    super(message, options);
  }
}
