/**
 * A read-only replica of one shard's core, kept by following the shard's command log: an ordered
 * JetStream consumer from the last applied sequence, each envelope applied to a core of our own.
 * The core is deterministic, so the replica reaches exactly the leader's state and produces the
 * leader's results and events, with the same sequence numbers.
 *
 * Applied envelopes are released in batches, one per turn of the event loop: `onBatch` gets
 * every (seq, result) of the batch, in order. Nothing is released out of order or twice; a
 * message that is not the next sequence (a gap the consumer did not close, a foreign envelope)
 * stops the follower for good (`failure`), since applying past it would diverge from the leader.
 *
 * The log is read through LogReader (log-reader.ts), which goes on after a disconnect or a NATS
 * node's loss from the last message applied, so a gateway that reconnects continues with no gap
 * and no duplicate.
 */
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { CommandResult, TradingCore } from '../core/api.js';
import { decodeEnvelope } from './envelope.js';
import { LogApplier } from './log-applier.js';
import { isStreamNotFound, LogReader, LogReadFatalError } from './log-reader.js';
import { logStreamName } from './shard-names.js';

export interface AppliedCommand {
  seq: number;
  /** Undefined when the core threw on the command (it does the same on the leader: no events), or the envelope was void. */
  result: CommandResult | undefined;
  /** A deposed leader's envelope that every reader skips (log-applier.ts); nobody was answered for it. */
  void: boolean;
}

export interface LogFollowerOptions {
  nc: NatsConnection;
  shard: number;
  core: TradingCore;
  logger: Logger;
  /** Every released batch, in log order. */
  onBatch: (batch: readonly AppliedCommand[]) => void;
  /** The follower stopped for good (divergence or a broken log); called once. */
  onFailure: (reason: string) => void;
  /** The longest wait between attempts while the log stream does not exist yet or cannot be read (default 500 ms). */
  retryMs?: number;
  /** No delivery for this long while the log holds more: a new consumer (default 3 s; see log-reader.ts). */
  stallMs?: number;
}

export class LogFollower {
  readonly #options: LogFollowerOptions;
  readonly #applier: LogApplier;
  readonly #reader: LogReader;
  #batch: AppliedCommand[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #failure: string | undefined;

  constructor(options: LogFollowerOptions) {
    this.#options = options;
    this.#applier = new LogApplier(options.core);
    this.#reader = new LogReader({
      nc: options.nc,
      js: options.nc.jetstream(),
      stream: logStreamName(options.shard),
      fromSeq: 1,
      lastSeq: () => this.lastLogSeq(),
      logger: options.logger,
      maxMessages: 1024,
      stallMs: options.stallMs,
      maxBackoffMs: options.retryMs ?? 500,
      onMessage: (seq, data) => this.#apply(seq, data),
      onFatal: (error) => this.#fail(error.message),
    });
  }

  /** The last log sequence applied to the replica (0 before the first). */
  get applied(): number {
    return this.#applier.seq;
  }

  get failure(): string | undefined {
    return this.#failure;
  }

  /** The log's last sequence as the stream reports it now (0 when it is empty or does not exist yet). */
  async lastLogSeq(): Promise<number> {
    const jsm = await this.#options.nc.jetstreamManager();
    try {
      const info = await jsm.streams.info(logStreamName(this.#options.shard));
      return info.state.last_seq;
    } catch (error) {
      if (isStreamNotFound(error)) return 0;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#reader.stop();
    this.#flush();
  }

  #apply(seq: number, data: Uint8Array): void {
    let outcome;
    try {
      outcome = this.#applier.apply(decodeEnvelope(data, seq));
    } catch (error) {
      throw new LogReadFatalError(`the core log's message ${seq} is unusable: ${(error as Error).message}`);
    }
    if (outcome.void) this.#batch.push({ seq, result: undefined, void: true });
    else {
      // Deterministic: the leader's core threw on this command too, and its state is the same as ours.
      if (outcome.error !== undefined) this.#options.logger.error({ err: outcome.error, seq }, 'fleet: the core threw applying a logged command');
      this.#batch.push({ seq, result: outcome.result, void: false });
    }
    this.#scheduled ??= setImmediate(() => this.#flush());
  }

  #flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#options.onBatch(batch);
  }

  #fail(reason: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = reason;
    this.#options.logger.fatal({ applied: this.#applier.seq }, `fleet: replica stopped: ${reason}`);
    this.#flush();
    this.#options.onFailure(reason);
  }
}
