/**
 * Reads a shard's command log in stream order, from a given sequence, until stopped: the one way
 * every follower (a standby core, a gateway's replica) reads the log.
 *
 * It reads through a consumer of its own (R1, in memory, no acknowledgements) and does what an
 * ordered consumer would, itself, because nats.js's ordered consumer does not always recover
 * from losing the NATS node that holds it. After reconnecting, that client waits on
 * consumer-info requests that nobody answers for as long as the node is down, and retries a
 * consumer's creation at up to 45 s intervals while the cluster keeps placing it on the dead node:
 * meanwhile no message and no error arrives (seen in the NATS-node chaos test, 2026-12-06). So
 * the reader creates its consumers with a short timeout, and watches its own progress: when
 * nothing has been delivered for `stallMs` while the stream holds more, it drops the consumer and
 * opens a new one after the last message handed on. Every message is handed on once, in order;
 * what a new consumer delivers again is skipped.
 *
 * A consumer that skips a sequence has most likely lost its delivery (sent while the connection
 * was down: the NATS-node chaos test sees a few per node loss, sometimes the same one twice in a
 * row), and a fresh consumer reads it again. Only the stream can tell a lost delivery from a hole
 * in the log, so the reader asks it for that one message: missing, the log is damaged and reading
 * stops for good; there, however often it was lost, reading goes on.
 */
import { AckPolicy, DeliverPolicy, nanos, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type NatsConnection, type NatsError } from 'nats';
import type { Logger } from 'pino';

/** Thrown by `onMessage` when the log cannot be applied (a gap, damage): retrying would fail the same way. */
export class LogReadFatalError extends Error {
  override readonly name = 'LogReadFatalError';
}

export interface LogReaderOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  stream: string;
  /** The first sequence to hand on. */
  fromSeq: number;
  /** The stream's last sequence now (0 when empty); asked every third of `stallMs` while no message has come for `stallMs` (so about once a second by an idle reader). */
  lastSeq: () => Promise<number>;
  /** Each message, exactly once and in order (`seq` is the previous one + 1). Anything it throws stops the reader (onFatal). */
  onMessage: (seq: number, data: Uint8Array) => void;
  /** The reader stopped for good: a hole in the log, or `onMessage` threw. Called once. */
  onFatal: (error: LogReadFatalError) => void;
  logger: Logger;
  /** Messages asked for at a time (default 512). */
  maxMessages?: number;
  /** No delivery for this long while the stream holds more: a new consumer (default 3 s). */
  stallMs?: number;
  /** The longest wait between attempts to open a consumer (default 1 s; doubling from 50 ms). */
  maxBackoffMs?: number;
  /** How long each pull request waits on the server (default 2 s); nats.js sets the idle heartbeat to half of it. */
  expiresMs?: number;
  /** How long creating a consumer may take before another attempt (default 2 s). */
  createTimeoutMs?: number;
  /** The server removes a consumer unused for this long (default 30 s). */
  inactiveMs?: number;
}

export class LogReader {
  readonly #options: LogReaderOptions;
  #next: number;
  #stopped = false;
  #messages: ConsumerMessages | undefined;
  #lastDeliveryAt = Date.now();
  #checking = false;
  #manager: Promise<JetStreamManager> | undefined;
  /** Opening a consumer or waiting to retry: nothing can be handed on until that ends. */
  #opening = false;
  readonly #watchdog: NodeJS.Timeout;
  #settle!: () => void;
  /** Settles when the reader has stopped (stop() or a fatal error); nothing is handed on after it. */
  readonly done = new Promise<void>((resolve) => { this.#settle = resolve; });

  constructor(options: LogReaderOptions) {
    this.#options = options;
    this.#next = options.fromSeq;
    const stallMs = options.stallMs ?? 3_000;
    this.#watchdog = setInterval(() => void this.#checkProgress(stallMs), Math.max(stallMs / 3, 10));
    this.#watchdog.unref();
    void this.#run().finally(() => {
      clearInterval(this.#watchdog);
      this.#settle();
    });
  }

  /** The next sequence the reader will hand on. */
  get nextSeq(): number {
    return this.#next;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#messages?.stop();
    // A consumer's creation cannot be called back (its request runs to its timeout), nor the wait
    // before the next attempt: stop now, and the loop drops whatever that attempt returns.
    if (this.#opening) {
      clearInterval(this.#watchdog);
      this.#settle();
    }
    await this.done;
  }

  async #run(): Promise<void> {
    const { js, stream, logger } = this.#options;
    const maxBackoffMs = this.#options.maxBackoffMs ?? 1_000;
    let backoffMs = 50;
    let waitingLogged = false;
    while (!this.#stopped) {
      let consumerName: string | undefined;
      try {
        this.#opening = true;
        consumerName = await this.#createConsumer();
        if (this.#stopped) break;
        const consumer = await js.consumers.get(stream, consumerName);
        const messages = await consumer.consume({ max_messages: this.#options.maxMessages ?? 512, expires: this.#options.expiresMs ?? 2_000 });
        this.#opening = false;
        logger.debug({ stream, nextSeq: this.#next, consumer: consumerName }, 'fleet: reading the core log');
        this.#messages = messages;
        this.#lastDeliveryAt = Date.now();
        if (this.#stopped) messages.stop();
        for await (const message of messages) {
          if (this.#stopped) break;
          this.#lastDeliveryAt = Date.now();
          if (message.seq < this.#next) continue; // delivered again by a new consumer
          if (message.seq !== this.#next) {
            // A hole or a lost delivery: the stream says which (a failed question throws, and a
            // fresh consumer tries again, which asks again if it skips too).
            const held = await this.#streamHolds(this.#next);
            if (this.#stopped) break;
            if (!held) throw new LogReadFatalError(`log ${stream} skipped from ${this.#next} to ${message.seq}: the stream holds no message ${this.#next}`);
            logger.warn({ stream, nextSeq: this.#next, got: message.seq }, 'fleet: a core log delivery was lost; reading again from the next sequence');
            break;
          }
          try {
            this.#options.onMessage(message.seq, message.data);
          } catch (error) {
            // Retrying a message its reader cannot take would only fail again, forever.
            if (error instanceof LogReadFatalError) throw error;
            throw new LogReadFatalError(`log ${stream} seq ${message.seq} could not be taken: ${(error as Error).message}`, { cause: error });
          }
          this.#next++;
          backoffMs = 50;
          waitingLogged = false;
          if (this.#stopped) break;
        }
      } catch (error) {
        if (error instanceof LogReadFatalError) {
          this.#stopped = true;
          this.#options.onFatal(error);
          break;
        }
        if (this.#stopped) break;
        if (isStreamNotFound(error)) {
          if (!waitingLogged) logger.info({ stream }, 'fleet: waiting for the core log stream to exist');
          waitingLogged = true;
        } else {
          logger.warn({ err: error, stream, nextSeq: this.#next }, 'fleet: reading the core log failed; resuming after the last message read');
        }
      } finally {
        this.#messages?.stop();
        this.#messages = undefined;
        // Best effort: an abandoned consumer also goes by itself once inactive.
        if (consumerName !== undefined) this.#jsm().then((jsm) => jsm.consumers.delete(stream, consumerName!)).catch(() => undefined);
      }
      if (this.#stopped) break;
      this.#opening = true;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    }
  }

  /**
   * A consumer of our own from the next sequence: R1 in memory, no acknowledgements, removed by
   * the server once unused. The cluster may place it on a node that is down (it picks among the
   * stream's peers, dead or alive), and then the request gets no answer: a short timeout and a
   * new attempt, which lands elsewhere, beats waiting.
   */
  async #createConsumer(): Promise<string> {
    const jsm = await this.#jsm();
    const info = await jsm.consumers.add(this.#options.stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#next,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(this.#options.inactiveMs ?? 30_000),
    });
    return info.name;
  }

  /** Whether the stream holds message `seq` (one message get, answered by the stream's leader); other failures throw. */
  async #streamHolds(seq: number): Promise<boolean> {
    const jsm = await this.#jsm();
    try {
      await jsm.streams.getMessage(this.#options.stream, { seq });
      return true;
    } catch (error) {
      if (isNoMessageFound(error)) return false;
      throw error;
    }
  }

  #jsm(): Promise<JetStreamManager> {
    // A failed attempt is not kept (it asks JetStream for the account first, which answers 503
    // while the cluster has no quorum): kept, it failed every consumer's creation for good after
    // an outage, and both core nodes could never follow or lead again.
    this.#manager ??= this.#options.nc.jetstreamManager({ timeout: this.#options.createTimeoutMs ?? 2_000 }).catch((error: unknown) => {
      this.#manager = undefined;
      throw error;
    });
    return this.#manager;
  }

  /** Drops a consumer that has delivered nothing for `stallMs` while the stream holds more; the loop opens another. */
  async #checkProgress(stallMs: number): Promise<void> {
    const messages = this.#messages;
    if (this.#checking || messages === undefined || Date.now() - this.#lastDeliveryAt < stallMs) return;
    this.#checking = true;
    try {
      const behind = await this.#options.lastSeq().then((last) => last >= this.#next, () => true);
      // Only if nothing came meanwhile; when the stream cannot answer either, a new consumer costs nothing more.
      if (behind && messages === this.#messages && Date.now() - this.#lastDeliveryAt >= stallMs) {
        this.#options.logger.warn({ stream: this.#options.stream, nextSeq: this.#next, stallMs }, 'fleet: the core log consumer delivers nothing while the log holds more; opening a new one');
        messages.stop();
      }
    } finally {
      this.#checking = false;
    }
  }
}

export function isStreamNotFound(error: unknown): boolean {
  const e = error as NatsError & { api_error?: { err_code?: number } };
  return e.api_error?.err_code === 10059 || /stream not found/i.test(e.message ?? '');
}

/** JetStream's answer to a message get of a sequence the stream does not hold (deleted, purged, never written). */
function isNoMessageFound(error: unknown): boolean {
  const e = error as NatsError & { api_error?: { err_code?: number } };
  return e.api_error?.err_code === 10037;
}
