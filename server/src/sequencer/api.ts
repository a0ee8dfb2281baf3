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
  override readonly name = 'DurabilityError';
}
