/**
 * One core node of a shard: a standby that follows the command log and applies every envelope
 * to its own core, or the leader that sequences commands. Any number run; the leader lease
 * (leader-lease.ts) decides which one leads.
 *
 * - **Standby.** Follows the log from its last applied seq, and tries to take the lease every
 *   `acquireEveryMs`. Once it has it, it catches up to the log's last message, then subscribes to
 *   the command subject and leads from there.
 * - **Leader.** For each command, checks the lease's deadline, stamps seq, time and term, applies
 *   it to the core, and appends the envelope with the expected last sequence. Appends are
 *   pipelined; each command's reply `{ seq }` (or its `submit` promise) goes out only after its
 *   PubAck, in seq order. The lease is renewed every third of its TTL.
 * - **Deposed.** An append refused or unconfirmed, a renewal refused, or the deadline passed: the
 *   node stops taking commands, answers everything unconfirmed with `CORE_UNAVAILABLE`, gives up
 *   the lease if it still has it, throws its core away (it holds commands the log may not have)
 *   and rebuilds from the log as a standby. Nothing it applied but did not get acknowledged
 *   reaches anyone: replies, events and gateways' replicas only ever see the log.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Msg, NatsConnection, Subscription } from 'nats';
import type { Command, CommandResult, CoreView, TradingCore } from '../core/api.js';
import { CommandTimestamps, systemClock, type Clock } from '../sequencer/clock.js';
import { loadEngine, TRADING_CORE_MODULE, type CoreEngine } from '../sequencer/engine.js';
import { ExpiryTimer, systemTimers, type Timers } from '../sequencer/expiry-timer.js';
import { EventFanout, type EventListener } from '../sequencer/fanout.js';
import { AppendFencedError, CommandLog, type LogFollower } from './command-log.js';
import {
  decodeCommandRequest, encodeCommandReply, type CommandReply, type CommandReplyErrorCode, type SequencedEnvelope,
} from './envelope.js';
import { LeaderLease } from './leader-lease.js';
import { LogApplier } from './log-applier.js';
import { COMMAND_QUEUE_GROUP, commandSubject } from './shard-names.js';

export type CoreRole = 'starting' | 'standby' | 'leader' | 'closed';

/** Told about appends and leadership changes (metrics). */
export interface CoreNodeObserver {
  appended?(seconds: number): void;
  roleChanged?(role: CoreRole, previous: CoreRole): void;
}

export interface CoreNodeOptions {
  nc: NatsConnection;
  shard: number;
  /** The node's name in the lease and its logs (default: host name and process id). */
  nodeId?: string;
  /** Replicas of the log stream and the lease bucket when this node creates them. */
  replicas: number;
  /** The lease bucket's TTL when this node creates it. */
  leaseTtlMs: number;
  logger: Logger;
  /** The core to run (default: the trading core). */
  engine?: CoreEngine;
  /** Command timestamps (default: the system clock). */
  clock?: Clock;
  /** The lease deadline's clock (default: Date.now); tests may pause it. */
  leaseClock?: () => number;
  /** GTD expiry wake-ups (default: real timers). */
  timers?: Timers;
  /** How often a standby tries to take the lease (default 100 ms). */
  acquireEveryMs?: number;
  /** How long an append waits for its PubAck before the leader gives up and steps down (default 5 s). */
  appendTimeoutMs?: number;
  observer?: CoreNodeObserver;
}

/** What a core node's /health/ready reports. */
export interface CoreReadiness {
  ready: boolean;
  role: CoreRole;
  appliedSeq: number;
  /** The log's last seq when the check read it (standbys only). */
  logSeq?: number;
  detail: string;
}

/** Refused by a node that does not lead: the command was not sequenced (a retry is safe). */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

/** The leader stepped down before the command's append was confirmed: the log alone says whether it is in. */
export class OutcomeUnknownError extends Error {
  override readonly name = 'OutcomeUnknownError';
}

interface InFlight {
  envelope: SequencedEnvelope;
  result: CommandResult | undefined;
  error: unknown;
  acked: boolean;
  resolve: (applied: { seq: number; result: CommandResult }) => void;
  reject: (error: Error) => void;
}

export class CoreNode {
  readonly nodeId: string;
  #role: CoreRole = 'starting';
  #core!: TradingCore;
  #applier!: LogApplier;
  #follower: LogFollower | undefined;
  #subscription: Subscription | undefined;
  #inFlight: InFlight[] = [];
  /** Every append not yet settled (close waits for them). */
  readonly #appends = new Set<Promise<unknown>>();
  #renewing = false;
  #term = 0;
  /** Events of every seq up to this one have gone to listeners (a rebuild does not repeat them). */
  #emittedThrough = 0;
  #leaderSince: number | undefined;
  #transition: Promise<void> | undefined;
  #acquireTimer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #expiry: ExpiryTimer | undefined;
  readonly #fanout: EventFanout;
  readonly #timestamps: CommandTimestamps;
  readonly #logger: Logger;

  private constructor(
    private readonly options: CoreNodeOptions,
    private readonly engine: CoreEngine,
    private readonly log: CommandLog,
    private readonly lease: LeaderLease,
    nodeId: string,
  ) {
    this.nodeId = nodeId;
    this.#logger = options.logger.child({ nodeId, shard: options.shard });
    this.#fanout = new EventFanout(this.#logger);
    this.#timestamps = new CommandTimestamps(options.clock ?? systemClock);
  }

  /** Opens (or creates) the log and the lease bucket and starts as a standby from seq 1. */
  static async start(options: CoreNodeOptions): Promise<CoreNode> {
    const nodeId = options.nodeId || `${hostname()}-${process.pid}`;
    const engine = options.engine ?? (await loadEngine(TRADING_CORE_MODULE));
    const log = await CommandLog.open(options.nc, {
      shard: options.shard, replicas: options.replicas, logger: options.logger,
      ...(options.appendTimeoutMs !== undefined && { appendTimeoutMs: options.appendTimeoutMs }),
    });
    const lease = await LeaderLease.open(options.nc, {
      shard: options.shard, nodeId, replicas: options.replicas, ttlMs: options.leaseTtlMs,
      ...(options.leaseClock && { now: options.leaseClock }),
    });
    const node = new CoreNode(options, engine, log, lease, nodeId);
    node.#resetCore();
    node.#becomeStandby();
    return node;
  }

  get role(): CoreRole {
    return this.#role;
  }

  /** The last seq applied to this node's core. */
  get appliedSeq(): number {
    return this.#applier.seq;
  }

  /** The term this node leads in (0 unless leader). */
  get term(): number {
    return this.#role === 'leader' ? this.#term : 0;
  }

  /** The core's queries. A leader's state may include commands whose appends are not confirmed yet. */
  get core(): CoreView {
    return this.#core;
  }

  get healthy(): boolean {
    return this.#role === 'leader';
  }

  status(): { nodeId: string; role: CoreRole; term: number; appliedSeq: number; leaderSince?: number } {
    return {
      nodeId: this.nodeId, role: this.#role, term: this.term, appliedSeq: this.appliedSeq,
      ...(this.#leaderSince !== undefined && { leaderSince: this.#leaderSince }),
    };
  }

  /**
   * Whether this node can serve: a leader is; a standby is once it has applied everything the
   * log held when asked, within `withinMs` (so a standby that keeps up under load stays ready,
   * and one rebuilding, stuck or unable to apply the log is not).
   */
  async readiness(withinMs = 1_000): Promise<CoreReadiness> {
    const role = this.#role;
    const base = { role, appliedSeq: this.appliedSeq };
    if (role === 'leader') return { ready: true, ...base, detail: `leading in term ${this.#term}` };
    if (role !== 'standby') return { ready: false, ...base, detail: `the node is ${role}` };
    const follower = this.#follower;
    if (!follower) return { ready: false, ...base, detail: 'between roles' };
    if (follower.failed) return { ready: false, ...base, detail: `the log cannot be applied: ${follower.failed.message}` };
    let logSeq: number;
    try {
      logSeq = await withDeadline(this.log.lastSeq(), withinMs, 'reading the log');
    } catch (error) {
      return { ready: false, ...base, detail: `the log is unavailable: ${(error as Error).message}` };
    }
    try {
      await withDeadline(follower.whenApplied(logSeq), withinMs, `applying the log up to seq ${logSeq}`);
    } catch {
      return { ready: false, role, appliedSeq: this.appliedSeq, logSeq, detail: `behind the log (applied ${this.appliedSeq} of ${logSeq})` };
    }
    return { ready: true, role, appliedSeq: this.appliedSeq, logSeq, detail: 'following the log, caught up' };
  }

  /** Listens to the events of every command in the log, in seq order, once each. */
  onEvents(listener: EventListener): () => void {
    return this.#fanout.add(listener);
  }

  /** Sequences a command on this node (it must lead); resolves with the result after the PubAck. */
  async submit(command: Command): Promise<CommandResult> {
    return (await this.#sequence(command)).result;
  }

  /** Stops; a leader gives its lease up first so a standby takes over at once. */
  async close(): Promise<void> {
    if (this.#role === 'closed') return;
    await this.#transition;
    const wasLeader = this.#role === 'leader';
    clearInterval(this.#acquireTimer);
    this.#stopLeading();
    // Commands taken before are answered as their appends settle (each has a timeout).
    await Promise.allSettled([...this.#appends]);
    this.#setRole('closed');
    this.#failInFlight((item) => new OutcomeUnknownError(`core node ${this.nodeId} closed before command ${item.envelope.seq} was confirmed`));
    if (wasLeader) await this.lease.release().catch((error: unknown) => this.#logger.warn({ err: error }, 'giving up the lease failed; it lapses by its TTL'));
    await this.#follower?.stop();
    this.#fanout.flush();
  }

  // ------------------------------------------------------------------------------------------
  // standby

  /** An empty core, to follow the log from the beginning. */
  #resetCore(): void {
    this.#core = this.engine.createCore();
    this.#applier = new LogApplier(this.#core);
  }

  /** Follows the log from where the core is. */
  #becomeStandby(): void {
    this.#setRole('standby');
    this.#follow();
    this.#acquireTimer ??= setInterval(() => this.#tryToLead(), this.options.acquireEveryMs ?? 100);
  }

  #follow(): void {
    this.#follower = this.log.follow(this.#applier.seq + 1, (envelope) => {
      const outcome = this.#applier.apply(envelope);
      this.#timestamps.observe(envelope.time);
      if (!outcome.void && outcome.result && envelope.seq > this.#emittedThrough) this.#fanout.emit(outcome.result.events);
      this.#emittedThrough = Math.max(this.#emittedThrough, envelope.seq);
    });
  }

  #tryToLead(): void {
    if (this.#role !== 'standby' || this.#transition) return;
    const failed = this.#follower?.failed;
    if (failed) {
      // The log cannot be applied here (damage, or a bug): this node must not lead; it keeps its lease attempts off.
      clearInterval(this.#acquireTimer);
      return;
    }
    this.#transition = this.#takeOver().finally(() => (this.#transition = undefined));
  }

  async #takeOver(): Promise<void> {
    let taken;
    try {
      taken = await this.lease.tryAcquire();
    } catch (error) {
      this.#logger.debug({ err: error }, 'the lease could not be read');
      return;
    }
    if (!taken) return;
    if (this.#role !== 'standby') {
      await this.lease.release().catch(() => undefined);
      return;
    }
    try {
      // Everything the previous leaders appended, before the first command of ours.
      const last = await this.log.lastSeq();
      await withDeadline(this.#follower!.whenApplied(last), this.lease.validUntil - Date.now(), 'catching up with the log');
      await this.#follower!.stop();
      this.#follower = undefined;
      if (!this.lease.isValid()) throw new Error('the lease lapsed while catching up');
      // The lease revision only grows, so it is above every term in the log.
      if (taken.term <= this.#applier.term) throw new Error(`lease term ${taken.term} is not above the log's term ${this.#applier.term}`);
      this.#term = taken.term;
      this.#leaderSince = Date.now();
      this.#setRole('leader');
      this.#subscription = this.options.nc.subscribe(commandSubject(this.options.shard), {
        queue: COMMAND_QUEUE_GROUP,
        callback: (error, message) => {
          if (!error) this.#onRequest(message);
        },
      });
      await this.options.nc.flush();
      const renewEvery = Math.max(50, Math.floor(this.lease.ttlMs / 3));
      this.#renewTimer = setInterval(() => void this.#renew(), renewEvery);
      this.#armDeadline();
      this.#expiry = new ExpiryTimer(this, this.options.clock ?? systemClock, this.options.timers ?? systemTimers, this.#logger);
      this.#expiry.start();
      this.#logger.info({ term: this.#term, appliedSeq: this.appliedSeq }, 'leading the shard');
    } catch (error) {
      this.#logger.warn({ err: error }, 'taking over failed; staying a standby');
      this.#stopLeading();
      await this.lease.release().catch(() => undefined);
      const role = this.#role as CoreRole;
      if (role === 'leader') this.#setRole('standby');
      if (this.#role === 'standby' && !this.#follower) this.#follow();
    }
  }

  // ------------------------------------------------------------------------------------------
  // leader

  #onRequest(message: Msg): void {
    let command: Command;
    try {
      command = decodeCommandRequest(message.data);
    } catch (error) {
      reply(message, { error: { code: 'INVALID_COMMAND', message: (error as Error).message } });
      return;
    }
    this.#sequence(command).then(
      ({ seq }) => reply(message, { seq }),
      (error: Error) => reply(message, { error: { code: replyCode(error), message: error.message } }),
    );
  }

  #sequence(command: Command): Promise<{ seq: number; result: CommandResult }> {
    if (this.#role !== 'leader') return Promise.reject(new NotLeaderError(`core node ${this.nodeId} does not lead shard ${this.options.shard}`));
    if (!this.lease.isValid()) {
      this.#depose('the lease deadline passed');
      return Promise.reject(new NotLeaderError(`core node ${this.nodeId} no longer leads shard ${this.options.shard}`));
    }
    const envelope: SequencedEnvelope = { seq: this.#applier.seq + 1, time: this.#timestamps.next(), term: this.#term, command };
    const outcome = this.#applier.apply(envelope);
    return new Promise((resolve, reject) => {
      const item: InFlight = {
        envelope, result: outcome.void ? undefined : outcome.result, error: outcome.void ? undefined : outcome.error, acked: false, resolve, reject,
      };
      this.#inFlight.push(item);
      const startedAt = performance.now();
      const append = this.log.append(envelope);
      this.#appends.add(append);
      void append.finally(() => this.#appends.delete(append)).catch(() => undefined);
      append.then(
        () => {
          this.options.observer?.appended?.((performance.now() - startedAt) / 1000);
          item.acked = true;
          this.#release();
        },
        (error: Error) => {
          const reason = error instanceof AppendFencedError ? 'another leader appended first' : 'the log did not confirm an append';
          this.#logger.warn({ err: error, seq: envelope.seq }, `append failed: ${reason}; stepping down`);
          this.#depose(reason);
        },
      );
    });
  }

  /** Answers confirmed commands in seq order and hands their events to listeners. */
  #release(): void {
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.acked) {
      const item = this.#inFlight.shift()!;
      const seq = item.envelope.seq;
      this.#emittedThrough = Math.max(this.#emittedThrough, seq);
      if (item.result) {
        item.resolve({ seq, result: item.result });
        this.#fanout.emit(item.result.events);
      } else {
        item.reject(item.error instanceof Error ? item.error : new Error(String(item.error)));
      }
    }
  }

  async #renew(): Promise<void> {
    if (this.#role !== 'leader' || this.#renewing) return;
    this.#renewing = true;
    try {
      if (await this.lease.renew()) this.#armDeadline();
      else this.#depose('the lease was lost');
    } catch (error) {
      // NATS did not answer: keep trying until the deadline decides.
      this.#logger.warn({ err: error }, 'renewing the lease failed');
    } finally {
      this.#renewing = false;
    }
  }

  #armDeadline(): void {
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = setTimeout(() => {
      if (this.#role === 'leader' && !this.lease.isValid()) this.#depose('the lease deadline passed');
    }, Math.max(0, this.lease.validUntil - Date.now()) + 1);
  }

  #stopLeading(): void {
    clearInterval(this.#renewTimer);
    clearTimeout(this.#deadlineTimer);
    this.#expiry?.stop();
    this.#expiry = undefined;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  /**
   * Stops leading at once (synchronously: no further command is taken, and a core holding
   * commands the log may not have is replaced by an empty one at once, so no query shows them),
   * then follows the log as a standby: from where it is if every command it applied was
   * released, else from the beginning.
   */
  #depose(reason: string): void {
    if (this.#role !== 'leader') return;
    this.#logger.warn({ term: this.#term, reason }, 'stepping down');
    this.#stopLeading();
    this.#setRole('standby');
    this.#leaderSince = undefined;
    const rebuild = this.#inFlight.length > 0;
    // Their outcome is for the log to say (a confirmed one behind an unconfirmed one may be void); the client retries by client order id.
    this.#failInFlight((item) => new OutcomeUnknownError(`core node ${this.nodeId} stepped down (${reason}) before command ${item.envelope.seq} was confirmed`));
    if (rebuild) this.#resetCore();
    const transition = (async () => {
      await this.lease.release().catch(() => undefined);
      await Promise.allSettled([...this.#appends]);
      if (this.#role !== 'standby') return;
      if (rebuild) this.#logger.info('rebuilding from the log');
      this.#becomeStandby();
    })();
    this.#transition = transition.finally(() => (this.#transition = undefined));
  }

  #failInFlight(error: (item: InFlight) => Error): void {
    for (const item of this.#inFlight.splice(0)) item.reject(error(item));
  }

  #setRole(role: CoreRole): void {
    const previous = this.#role;
    if (previous === role) return;
    this.#role = role;
    this.options.observer?.roleChanged?.(role, previous);
  }
}

function reply(message: Msg, body: CommandReply): void {
  if (message.reply) message.respond(encodeCommandReply(body));
}

/** NOT_LEADER: never sequenced here. CORE_UNAVAILABLE: sequenced, but the log did not confirm it (or the core threw on it). */
function replyCode(error: Error): CommandReplyErrorCode {
  return error instanceof NotLeaderError ? 'NOT_LEADER' : 'CORE_UNAVAILABLE';
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.max(0, Math.round(ms))} ms`)), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
