/**
 * The command bus between gateways and the trading core. Gateways never call the core's
 * `apply` themselves: they submit a command here, and the sequencer stamps the time, applies
 * it to the single-writer core, journals it, and resolves only once the journal is durable.
 * This is the seam that can later cross a process boundary (one sequenced core per shard).
 */
import type { Logger } from 'pino';
import type { Command, CommandResult, CoreEvent, CoreView } from '../core/api.js';

export interface CommandBus {
  /**
   * Applies the command and resolves with its result once it is durable. Rejects with a
   * `DurabilityError` (and the command has no visible effect) if the journal cannot be written.
   */
  submit(command: Command): Promise<CommandResult>;
  /**
   * Optional: submits as `submit` does and tells `receiver` instead of settling a promise, at the
   * moment the promise would settle (no promise, resolving functions or reaction per command).
   * Callers go through `submitTo` below, which falls back to `submit` on buses without it.
   */
  submitTo?(command: Command, receiver: ResultReceiver): void;
  /** Listens to every event, in sequence order, delivered only after the events are durable and their submitters answered. */
  onEvents(listener: (events: readonly CoreEvent[]) => void): () => void;
  /** The core's queries, read-only by type (they see state up to the latest durable-or-pending command). */
  readonly core: CoreView;
  /** False once durability has failed; gateways then refuse new orders and /health/ready fails. */
  readonly healthy: boolean;
}

/** Told a submitted command's result, or why it has none (what `submit`'s promise would resolve or reject with). Must not throw. */
export interface ResultReceiver {
  onResult(result: CommandResult): void;
  onError(error: unknown): void;
}

/** `submit`'s promise as a receiver, for buses whose `submit` is their `submitTo`. */
export class PromiseReceiver implements ResultReceiver {
  constructor(
    readonly onResult: (result: CommandResult) => void,
    readonly onError: (error: unknown) => void,
  ) {}
}

/** Tells a receiver its command's result or error; one that throws is logged, so the rest of its batch is still answered. */
export function answer(receiver: ResultReceiver, result: CommandResult | undefined, error: unknown, logger: Logger): void {
  try {
    if (result) receiver.onResult(result);
    else receiver.onError(error);
  } catch (err) {
    logger.error({ err }, 'a command result receiver threw');
  }
}

/** Submits `command` and tells `receiver`: without a promise when the bus can, through `submit` otherwise. */
export function submitTo(bus: CommandBus, command: Command, receiver: ResultReceiver): void {
  if (bus.submitTo) {
    bus.submitTo(command, receiver);
    return;
  }
  let submitted: Promise<CommandResult>;
  try {
    submitted = bus.submit(command);
  } catch (err) {
    submitted = Promise.reject(err);
  }
  submitted.then((result) => receiver.onResult(result), (err: unknown) => receiver.onError(err));
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
