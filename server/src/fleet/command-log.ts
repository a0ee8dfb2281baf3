/**
 * A shard's command log on JetStream: one stream, one message per sequenced command. The leader
 * appends with the expected last sequence (`Nats-Expected-Last-Sequence`), so an append from a
 * node that missed another's is refused by the stream itself: that is the fencing, and no
 * replication protocol is written here. Readers follow the stream through LogReader (log-reader.ts).
 */
import type { Logger } from 'pino';
import {
  DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type NatsConnection, type NatsError,
} from 'nats';
import { decodeEnvelope, encodeEnvelope, type SequencedEnvelope } from './envelope.js';
import { LogReader, LogReadFatalError } from './log-reader.js';
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
    private readonly nc: NatsConnection,
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
    const log = new CommandLog(nc, nc.jetstream({ timeout }), jsm, options);
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
    return new LogFollower(this.nc, this.js, this.stream, () => this.lastSeq(), fromSeq, apply, this.options.logger);
  }
}

interface Waiter { seq: number; resolve: () => void; reject: (error: Error) => void }

export class LogFollower {
  private readonly reader: LogReader;
  private stopped = false;
  private waiters: Waiter[] = [];
  private failure: Error | undefined;
  /** Settles when the follower has stopped (stop() or a fatal error). */
  readonly done: Promise<void>;

  constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    stream: string,
    lastSeq: () => Promise<number>,
    fromSeq: number,
    apply: (envelope: SequencedEnvelope) => void,
    logger: Logger,
  ) {
    this.reader = new LogReader({
      nc, js, stream, fromSeq, lastSeq, logger,
      onMessage: (seq, data) => {
        try {
          apply(decodeEnvelope(data, seq));
        } catch (error) {
          throw new LogReadFatalError(`log ${stream} seq ${seq} cannot be applied: ${(error as Error).message}`, { cause: error });
        }
        this.settle(seq);
      },
      onFatal: (error) => this.fail(error, stream, logger),
    });
    this.done = this.reader.done.then(() => {
      this.stopped = true;
      const stopped = new Error('the log follower is stopped');
      for (const waiter of this.waiters.splice(0)) waiter.reject(stopped);
    });
  }

  /** Why the follower stopped by itself (damage, a gap, a throwing apply), if it did. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** The last sequence applied. */
  get appliedSeq(): number {
    return this.reader.nextSeq - 1;
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
    await this.reader.stop();
    await this.done;
  }

  private settle(applied: number): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.seq <= applied);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > applied);
    for (const waiter of ready) waiter.resolve();
  }

  private fail(error: Error, stream: string, logger: Logger): void {
    this.failure = error;
    this.stopped = true;
    logger.fatal({ err: error, stream, appliedSeq: this.appliedSeq }, 'the command log cannot be applied');
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
