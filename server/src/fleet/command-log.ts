/**
 * A shard's command log on JetStream: one stream, one message per sequenced command. The leader
 * appends with the expected last sequence (`Nats-Expected-Last-Sequence`), so an append from a
 * node that missed another's is refused by the stream itself: that is the fencing, and no
 * replication protocol is written here. Readers follow the stream with an ordered consumer.
 */
import type { Logger } from 'pino';
import {
  DiscardPolicy, RetentionPolicy, StorageType, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type NatsConnection, type NatsError,
} from 'nats';
import { decodeEnvelope, encodeEnvelope, type SequencedEnvelope } from './envelope.js';
import { logStreamName, logSubject } from './shard-names.js';

/** JetStream's error code for a failed expected-last-sequence check. */
const WRONG_LAST_SEQUENCE = 10071;

/** The stream refused an append because another was made first: the appender is deposed. */
export class AppendFencedError extends Error {
  override readonly name = 'AppendFencedError';
}

/** The append was not confirmed (timeout, no quorum, connection lost): its outcome is unknown. */
export class LogUnavailableError extends Error {
  override readonly name = 'LogUnavailableError';
}

export interface CommandLogOptions {
  shard: number;
  /** Replicas of the stream when this call creates it (3 on a cluster, 1 on one server). */
  replicas: number;
  /** How long an append waits for its PubAck (default 5 s). */
  appendTimeoutMs?: number;
  logger: Logger;
}

export class CommandLog {
  readonly stream: string;
  readonly subject: string;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: CommandLogOptions,
  ) {
    this.stream = logStreamName(options.shard);
    this.subject = logSubject(options.shard);
  }

  /**
   * Binds to the shard's stream, creating it if it does not exist: file storage, no limits and
   * discard none in effect (nothing is ever dropped: `DiscardPolicy.New` with no limits set).
   */
  static async open(nc: NatsConnection, options: CommandLogOptions): Promise<CommandLog> {
    const timeout = options.appendTimeoutMs ?? 5_000;
    const jsm = await nc.jetstreamManager({ timeout });
    const log = new CommandLog(nc.jetstream({ timeout }), jsm, options);
    try {
      await jsm.streams.info(log.stream);
    } catch (error) {
      if ((error as NatsError).api_error?.err_code !== 10059) throw error; // 10059: stream not found
      await jsm.streams.add({
        name: log.stream,
        subjects: [log.subject],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.New,
        num_replicas: options.replicas,
        // Rejects a second stream that would capture the subject by mistake.
        deny_delete: true,
        deny_purge: true,
      }).catch(async (addError: unknown) => {
        // Another node created it at the same moment: use theirs.
        await jsm.streams.info(log.stream).catch(() => { throw addError; });
      });
    }
    return log;
  }

  /**
   * Appends the envelope at `envelope.seq`, on condition that the stream's last message is
   * `seq - 1`. Resolves once JetStream has acknowledged it (stored on a majority of replicas).
   * Rejects with AppendFencedError when another append came first, LogUnavailableError when the
   * outcome is unknown. Appends may be issued back to back without waiting: the stream takes them
   * in order, and once one fails every later one fails too.
   */
  async append(envelope: SequencedEnvelope): Promise<void> {
    let ack;
    try {
      ack = await this.js.publish(this.subject, encodeEnvelope(envelope), { expect: { lastSequence: envelope.seq - 1 } });
    } catch (error) {
      const code = (error as NatsError).api_error?.err_code;
      if (code === WRONG_LAST_SEQUENCE) throw new AppendFencedError(`append of seq ${envelope.seq} refused: ${(error as Error).message}`);
      throw new LogUnavailableError(`append of seq ${envelope.seq} not confirmed: ${(error as Error).message}`, { cause: error });
    }
    if (ack.stream !== this.stream || ack.seq !== envelope.seq || ack.duplicate) {
      throw new AppendFencedError(`append of seq ${envelope.seq} landed as ${ack.stream} seq ${ack.seq}${ack.duplicate ? ' (duplicate)' : ''}`);
    }
  }

  /** The sequence of the stream's last message (0 when empty). */
  async lastSeq(): Promise<number> {
    const info = await this.jsm.streams.info(this.stream);
    return info.state.last_seq;
  }

  /**
   * Applies every envelope from `fromSeq` on, in order, as the stream delivers them, until
   * stopped. Reconnects after failures (the cluster lost its quorum, the connection dropped) and
   * carries on after the last envelope applied.
   */
  follow(fromSeq: number, apply: (envelope: SequencedEnvelope) => void): LogFollower {
    return new LogFollower(this.js, this.stream, fromSeq, apply, this.options.logger);
  }
}

interface Waiter { seq: number; resolve: () => void; reject: (error: Error) => void }

export class LogFollower {
  private next: number;
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  private waiters: Waiter[] = [];
  private failure: Error | undefined;
  /** Settles when the follower has stopped (stop() or a fatal error). */
  readonly done: Promise<void>;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    fromSeq: number,
    private readonly apply: (envelope: SequencedEnvelope) => void,
    private readonly logger: Logger,
  ) {
    this.next = fromSeq;
    this.done = this.run();
  }

  /** Why the follower stopped by itself (damage, a gap, a throwing apply), if it did. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** The last sequence applied. */
  get appliedSeq(): number {
    return this.next - 1;
  }

  /** Resolves once every envelope up to `seq` is applied; rejects if the follower fails or stops first. */
  whenApplied(seq: number): Promise<void> {
    if (seq <= this.appliedSeq) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    if (this.stopped) return Promise.reject(new Error('the log follower is stopped'));
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    await this.done;
  }

  private async run(): Promise<void> {
    let backoffMs = 50;
    while (!this.stopped) {
      try {
        const consumer = await this.js.consumers.get(this.stream, { opt_start_seq: this.next });
        if (this.stopped) break;
        const messages = await consumer.consume({ max_messages: 512 });
        this.messages = messages;
        if (this.stopped) messages.stop();
        for await (const message of messages) {
          if (message.seq < this.next) continue; // a redelivery after the ordered consumer was reset
          if (message.seq !== this.next) throw new LogApplyError(`log ${this.stream} skipped from ${this.next} to ${message.seq}`);
          try {
            this.apply(decodeEnvelope(message.data, message.seq));
          } catch (error) {
            throw new LogApplyError(`log ${this.stream} seq ${message.seq} cannot be applied: ${(error as Error).message}`, { cause: error });
          }
          this.next++;
          this.settle();
          backoffMs = 50;
          if (this.stopped) break;
        }
      } catch (error) {
        if (error instanceof LogApplyError) return this.fail(error);
        if (this.stopped) break;
        this.logger.warn({ err: error, stream: this.stream, nextSeq: this.next }, 'following the command log failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 1_000);
      }
    }
    const stopped = new Error('the log follower is stopped');
    for (const waiter of this.waiters.splice(0)) waiter.reject(stopped);
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    const applied = this.appliedSeq;
    const ready = this.waiters.filter((w) => w.seq <= applied);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > applied);
    for (const waiter of ready) waiter.resolve();
  }

  private fail(error: Error): void {
    this.failure = error;
    this.stopped = true;
    this.messages?.stop();
    this.logger.fatal({ err: error, stream: this.stream, appliedSeq: this.appliedSeq }, 'the command log cannot be applied');
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

/** A gap, damage in the log, or a throwing apply: retrying would fail the same way. */
class LogApplyError extends Error {
  override readonly name = 'LogApplyError';
}
