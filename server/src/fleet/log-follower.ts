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
 * The ordered consumer recreates itself after a disconnect or a NATS node's loss and resumes
 * after the last message it delivered, so a gateway that reconnects continues with no gap and
 * no duplicate.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { CommandResult, TradingCore } from '../core/api.js';
import { decodeEnvelope } from './envelope.js';
import { LogApplier } from './log-applier.js';
import { logStreamName, logSubject } from './shard-names.js';

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
  /** Wait between attempts while the log stream does not exist yet or cannot be read (default 500 ms). */
  retryMs?: number;
}

export class LogFollower {
  readonly #options: LogFollowerOptions;
  readonly #js: JetStreamClient;
  readonly #applier: LogApplier;
  #batch: AppliedCommand[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #messages: ConsumerMessages | undefined;
  #closed = false;
  #failure: string | undefined;
  readonly #running: Promise<void>;

  constructor(options: LogFollowerOptions) {
    this.#options = options;
    this.#js = options.nc.jetstream();
    this.#applier = new LogApplier(options.core);
    this.#running = this.#run();
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
    this.#closed = true;
    this.#messages?.stop();
    await this.#running;
    this.#flush();
  }

  async #run(): Promise<void> {
    const { shard, logger } = this.#options;
    const retryMs = this.#options.retryMs ?? 500;
    let waitingLogged = false;
    while (!this.#closed && this.#failure === undefined) {
      try {
        const consumer = await this.#js.consumers.get(logStreamName(shard), {
          filterSubjects: logSubject(shard),
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.#applier.seq + 1,
        });
        this.#messages = await consumer.consume({ max_messages: 1024 });
        if (this.#closed) this.#messages.stop();
        for await (const message of this.#messages) {
          this.#apply(message.seq, message.data);
          if (this.#failure !== undefined) break;
        }
      } catch (error) {
        if (this.#closed) break;
        if (isStreamNotFound(error)) {
          if (!waitingLogged) logger.info({ stream: logStreamName(shard) }, 'fleet: waiting for the core log stream to exist');
          waitingLogged = true;
        } else {
          logger.warn({ err: error, applied: this.#applier.seq }, 'fleet: reading the core log failed; resuming after the last applied sequence');
        }
      } finally {
        this.#messages?.stop();
        this.#messages = undefined;
      }
      if (!this.#closed && this.#failure === undefined) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }

  #apply(streamSeq: number, data: Uint8Array): void {
    const applied = this.#applier.seq;
    // The consumer may redeliver what a recreated consumer had already sent: skip it.
    if (streamSeq <= applied) return;
    if (streamSeq !== applied + 1) return this.#fail(`the core log jumped from sequence ${applied} to ${streamSeq}`);
    let outcome;
    try {
      outcome = this.#applier.apply(decodeEnvelope(data, streamSeq));
    } catch (error) {
      return this.#fail(`the core log's message ${streamSeq} is unusable: ${(error as Error).message}`);
    }
    if (outcome.void) this.#batch.push({ seq: streamSeq, result: undefined, void: true });
    else {
      // Deterministic: the leader's core threw on this command too, and its state is the same as ours.
      if (outcome.error !== undefined) this.#options.logger.error({ err: outcome.error, seq: streamSeq }, 'fleet: the core threw applying a logged command');
      this.#batch.push({ seq: streamSeq, result: outcome.result, void: false });
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

function isStreamNotFound(error: unknown): boolean {
  const e = error as { api_error?: { err_code?: number }; message?: string };
  return e.api_error?.err_code === 10059 || /stream not found/i.test(e.message ?? '');
}
