/**
 * The gateway's CommandBus in distributed mode. A command goes to the shard's leader as a NATS
 * request (`core.<shard>.cmd`); the leader sequences it, appends it to the log and, once
 * JetStream has acknowledged the append, replies with its sequence. The gateway's own replica
 * of the core (LogFollower) applies the same log, so `submit` resolves with the result its
 * replica produced for that sequence: the core is deterministic, so it is the leader's result,
 * and by then the replica — what this gateway's queries, streams and FIX reports read — already
 * holds the command. Events go to listeners after the submitters are answered, in log order,
 * exactly as the embedded sequencer releases them.
 *
 * When no leader answers, the command is retried for a short while (a failover takes about a
 * second or two; nothing was sent, so a retry is safe); after that, or when an answer is lost,
 * `submit` rejects with CoreUnavailableError and the gateway tells the client to retry with the
 * same client order id.
 */
import { ErrorCode, NatsError, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Command, CommandResult, CoreEvent, CoreView, TradingCore } from '../core/api.js';
import { openHistoryStore, type HistoryStore } from '../history/index.js';
import { CoreUnavailableError, type CommandBus } from '../sequencer/api.js';
import { loadEngine, TRADING_CORE_MODULE } from '../sequencer/engine.js';
import { EventFanout, type EventListener } from '../sequencer/fanout.js';
import { decodeCommandReply, encodeCommandRequest } from './envelope.js';
import { LogFollower, type AppliedCommand } from './log-follower.js';
import { commandSubject } from './shard-names.js';

export interface RemoteCommandBusOptions {
  /** A connection to the NATS cluster; the bus does not close it. */
  nc: NatsConnection;
  logger: Logger;
  /** The core shard (default 0: every instrument). */
  shard?: number;
  /** Module exporting createCore() and restoreCore(): the same core the leader runs (default: the trading core). */
  engineModule?: string;
  /** Where the replica's events are projected (default: an in-memory history). */
  historyFile?: string;
  /** How long one request waits for the leader's reply (default 5000 ms). */
  requestTimeoutMs?: number;
  /** How long a command keeps trying while no leader serves (default 3000 ms: a failover's worth). */
  leaderWaitMs?: number;
  /** How long a sequenced command waits for this gateway's replica to reach it (default 10,000 ms). */
  resultTimeoutMs?: number;
}

export interface RemoteBusStatus {
  healthy: boolean;
  failure?: string;
  /** The log sequence the replica has applied and released. */
  durableIndex: number;
  /** Gateways take no snapshots (a replica rebuilds from the log). */
  snapshotIndex: number;
  /** The log sequence the history store holds (the same: it is projected as the replica applies). */
  historyIndex: number;
  /** The core's event seq at the replica. */
  seq: number;
  connected: boolean;
}

export interface RemoteCommandBus extends CommandBus {
  readonly history: HistoryStore;
  /** The history is projected in the same step that releases results: synced whenever a submit has resolved. */
  historySynced(): Promise<void>;
  status(): RemoteBusStatus;
  /** Waits for every command in flight, stops following the log, closes the history. The connection stays open. */
  close(): Promise<void>;
}

interface Waiter {
  resolve: (result: CommandResult) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * A request in flight. Its reply can only name a log sequence after `sentAfter`; `answered`
 * settles when the reply (or the failure) is in, which is when listeners may hear of events
 * that could be its own.
 */
interface Ticket { sentAfter: number; answered: Promise<void>; settle: () => void }

const DEFAULTS = { requestTimeoutMs: 5000, leaderWaitMs: 3000, resultTimeoutMs: 10_000 };

/**
 * Builds the replica from the log and resolves once it has applied everything the log held when
 * it was opened (so start-up code reads a current core). Waits while the log does not exist yet.
 */
export async function openRemoteCommandBus(options: RemoteCommandBusOptions): Promise<RemoteCommandBus> {
  const engine = await loadEngine(options.engineModule ?? TRADING_CORE_MODULE);
  const bus = new RemoteBus(options, engine.createCore(), openHistoryStore(options.historyFile ?? ':memory:'));
  try {
    await bus.caughtUp();
  } catch (error) {
    await bus.close();
    throw error;
  }
  return bus;
}

class RemoteBus implements RemoteCommandBus {
  readonly core: CoreView;
  readonly #options: RemoteCommandBusOptions;
  readonly #follower: LogFollower;
  readonly #fanout: EventFanout;
  readonly #subject: string;
  /** Results released while requests were in flight, by log sequence, until their reply claims them. */
  readonly #results = new Map<number, AppliedCommand>();
  readonly #waiters = new Map<number, Waiter>();
  readonly #inFlight = new Set<Ticket>();
  readonly #progress: { seq: number; resolve: () => void }[] = [];
  #released = 0;
  /** Events waiting for replies before they may go to listeners (see #publish). */
  #publishing: Promise<void> | undefined;
  #failure: string | undefined;
  #closing = false;
  #connected = true;
  /** nats.js hands out a queued iterator that can be stopped, typed only as an AsyncIterable. */
  readonly #statusChanges: ReturnType<NatsConnection['status']> & { stop?: () => void };

  constructor(options: RemoteCommandBusOptions, core: TradingCore, readonly history: HistoryStore) {
    this.#options = options;
    this.core = core;
    this.#fanout = new EventFanout(options.logger);
    this.#subject = commandSubject(options.shard ?? 0);
    this.#follower = new LogFollower({
      nc: options.nc, shard: options.shard ?? 0, core, logger: options.logger,
      onBatch: (batch) => this.#release(batch),
      onFailure: (reason) => this.#failed(reason),
    });
    this.#statusChanges = options.nc.status();
    void this.#watchConnection();
  }

  get healthy(): boolean {
    return this.#failure === undefined && !this.#closing;
  }

  status(): RemoteBusStatus {
    const failure = this.#failure ?? (this.#closing ? 'shutting down' : this.#connected ? undefined : 'disconnected from NATS; reconnecting');
    return {
      healthy: failure === undefined,
      ...(failure !== undefined && { failure }),
      durableIndex: this.#released, snapshotIndex: 0, historyIndex: this.#released, seq: this.core.seq, connected: this.#connected,
    };
  }

  historySynced(): Promise<void> {
    return Promise.resolve();
  }

  onEvents(listener: EventListener): () => void {
    return this.#fanout.add(listener);
  }

  /** Resolves once the replica has released everything the log holds now. */
  async caughtUp(): Promise<void> {
    const last = await this.#follower.lastLogSeq();
    await this.#reached(last);
    // What the log held before this gateway opened is state its listeners start from, not news.
    this.#fanout.flush();
  }

  async submit(command: Command): Promise<CommandResult> {
    if (this.#failure !== undefined) throw new CoreUnavailableError(`this gateway's replica stopped: ${this.#failure}`, true);
    if (this.#closing) throw new CoreUnavailableError('the gateway is shutting down', true);
    let settle = (): void => {};
    const answered = new Promise<void>((resolve) => { settle = resolve; });
    const ticket: Ticket = { sentAfter: this.#released, answered, settle };
    this.#inFlight.add(ticket);
    try {
      let seq: number;
      try {
        seq = await this.#sequence(encodeCommandRequest(command));
      } finally {
        settle();
      }
      return await this.#resultOf(seq);
    } finally {
      this.#inFlight.delete(ticket);
      this.#prune();
    }
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    // Requests in flight get their answer (or their timeout) first.
    while (this.#inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.#follower.close();
    await this.#publishing;
    this.#fanout.flush();
    for (const [seq, waiter] of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new CoreUnavailableError(`the gateway closed before its replica reached sequence ${seq}`, false));
    }
    this.#waiters.clear();
    for (const waiting of this.#progress.splice(0)) waiting.resolve();
    this.#statusChanges.stop?.();
    this.history.close();
  }

  /** Sends the command to the leader until one takes it; resolves with its log sequence. */
  async #sequence(payload: Uint8Array): Promise<number> {
    const timeout = this.#options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    const giveUpAt = performance.now() + (this.#options.leaderWaitMs ?? DEFAULTS.leaderWaitMs);
    for (let attempt = 0; ; attempt++) {
      let reply;
      try {
        reply = decodeCommandReply((await this.#options.nc.request(this.#subject, payload, { timeout })).data);
      } catch (error) {
        if (isNoResponders(error)) {
          // Nobody subscribed: the command was not delivered anywhere, so trying again is safe.
          if (performance.now() < giveUpAt) {
            await pause(attempt);
            continue;
          }
          throw new CoreUnavailableError('no core leader is serving', true, { cause: error });
        }
        if (error instanceof NatsError && error.code === ErrorCode.Timeout) {
          throw new CoreUnavailableError(`the core leader did not answer within ${timeout} ms`, false, { cause: error });
        }
        throw new CoreUnavailableError(`the request to the core failed: ${(error as Error).message}`, false, { cause: error });
      }
      if ('seq' in reply) return reply.seq;
      const { code, message } = reply.error;
      if (code === 'NOT_LEADER') {
        if (performance.now() < giveUpAt) {
          await pause(attempt);
          continue;
        }
        throw new CoreUnavailableError(`no core leader is serving (${message})`, true);
      }
      if (code === 'INVALID_COMMAND') throw new Error(`the core refused the command as malformed: ${message}`);
      throw new CoreUnavailableError(`${code}: ${message}`, false);
    }
  }

  /** The result this gateway's replica produced for log sequence `seq`. */
  #resultOf(seq: number): Promise<CommandResult> {
    if (seq <= this.#released) return settle(this.#results, seq);
    return new Promise((resolve, reject) => {
      const ms = this.#options.resultTimeoutMs ?? DEFAULTS.resultTimeoutMs;
      const timer = setTimeout(() => {
        this.#waiters.delete(seq);
        reject(new CoreUnavailableError(`the command was sequenced as ${seq}, but this gateway's replica has not reached it within ${ms} ms`, false));
      }, ms);
      this.#waiters.set(seq, { resolve, reject, timer });
    });
  }

  /** A batch the replica applied: project it, answer its submitters, then hand its events to listeners. */
  #release(batch: readonly AppliedCommand[]): void {
    const events: CoreEvent[] = [];
    for (const { result } of batch) if (result) for (const event of result.events) events.push(event);
    try {
      this.history.project(events);
    } catch (error) {
      this.#failed(`the history store could not be written: ${(error as Error).message}`);
    }
    this.#released = batch[batch.length - 1]!.seq;
    for (const applied of batch) {
      const waiter = this.#waiters.get(applied.seq);
      if (waiter) {
        this.#waiters.delete(applied.seq);
        clearTimeout(waiter.timer);
        settleWith(applied, waiter);
      } else if (this.#inFlight.size > 0) {
        // Possibly ours, with its reply still on the way.
        this.#results.set(applied.seq, applied);
      }
    }
    while (this.#progress.length > 0 && this.#progress[0]!.seq <= this.#released) this.#progress.shift()!.resolve();
    this.#publish(events);
  }

  /**
   * Hands events to listeners, in log order, once every submitter whose command may be among
   * them has been answered. The leader's reply and the log reach a gateway separately, so a
   * batch can arrive before the reply naming it; its events wait for that reply (one round
   * trip at most), as the embedded sequencer answers submitters before listeners hear.
   */
  #publish(events: CoreEvent[]): void {
    const last = this.#released;
    const replies: Promise<void>[] = [];
    for (const ticket of this.#inFlight) if (ticket.sentAfter < last) replies.push(ticket.answered);
    if (replies.length === 0 && this.#publishing === undefined) {
      this.#fanout.emit(events);
      return;
    }
    const previous = this.#publishing ?? Promise.resolve();
    const publishing = previous.then(() => Promise.all(replies)).then(() => {
      this.#fanout.emit(events);
      if (this.#publishing === publishing) this.#publishing = undefined;
    });
    this.#publishing = publishing;
  }

  /** Forgets results no request in flight can claim (each reply names a sequence after its ticket's). */
  #prune(): void {
    if (this.#inFlight.size === 0) {
      this.#results.clear();
      return;
    }
    let oldest = Infinity;
    for (const ticket of this.#inFlight) oldest = Math.min(oldest, ticket.sentAfter);
    for (const seq of this.#results.keys()) if (seq <= oldest) this.#results.delete(seq);
  }

  #reached(seq: number): Promise<void> {
    if (seq <= this.#released || this.#closing) return Promise.resolve();
    return new Promise((resolve) => {
      this.#progress.push({ seq, resolve });
      this.#progress.sort((a, b) => a.seq - b.seq);
    });
  }

  #failed(reason: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = reason;
    for (const [, waiter] of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new CoreUnavailableError(`this gateway's replica stopped: ${reason}`, false));
    }
    this.#waiters.clear();
  }

  async #watchConnection(): Promise<void> {
    for await (const change of this.#statusChanges) {
      if (change.type === 'disconnect') this.#connected = false;
      else if (change.type === 'reconnect') this.#connected = true;
    }
  }
}

function settle(results: Map<number, AppliedCommand>, seq: number): Promise<CommandResult> {
  const applied = results.get(seq);
  if (!applied) return Promise.reject(new Error(`no result kept for log sequence ${seq}`));
  results.delete(seq);
  return new Promise((resolve, reject) => settleWith(applied, { resolve, reject }));
}

function settleWith(applied: AppliedCommand, waiter: Pick<Waiter, 'resolve' | 'reject'>): void {
  // A leader acknowledges only what it appended under its own term; a void envelope acknowledged would be a leader's bug.
  if (applied.void) waiter.reject(new CoreUnavailableError(`the command's log entry ${applied.seq} was voided (its leader had been deposed)`, true));
  else if (applied.result) waiter.resolve(applied.result);
  else waiter.reject(new Error(`the core failed applying command ${applied.seq}`));
}

function isNoResponders(error: unknown): boolean {
  return error instanceof NatsError && error.code === ErrorCode.NoResponders;
}

/** 20, 40, 80, then 100 ms between attempts while no leader serves. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(100, 20 * 2 ** attempt)));
}
