/**
 * The durable CommandBus (LMAX style). A submitted command is stamped, appended to the journal
 * batch and applied to the in-memory core at once (both synchronous, so journal order is the
 * core's order). The group commit is pipelined (journal/writer.ts): commands keep being
 * applied, and the next batch written and its fdatasync started, while the previous batch's
 * fdatasync runs. A command's result and events are withheld until its batch is durable, and
 * batches are released strictly in journal order; then the batch goes to the replica worker (history projection and snapshots, off this
 * thread), the submit promises resolve, and only after that, on a later turn of the event
 * loop, the events go to listeners in seq order: a submitter's reply never waits for
 * market-data delivery, however many subscribers there are. Queries may
 * see state slightly ahead of durability; acknowledgements never are; the history store
 * follows the acknowledgements by a moment (`historySynced()` waits for it).
 *
 * If the journal cannot be written, the sequencer becomes unhealthy for good: pending submits
 * and every later one fail with DurabilityError, and core queries fail too (the in-memory state
 * holds commands that are not durable). A restart recovers from what is on disk.
 */
import type { Logger } from 'pino';
import type { Command, CommandResult, CoreEvent, CoreView, TradingCore } from '../core/api.js';
import { openHistoryStore, type HistoryStore } from '../history/index.js';
import { JournalClosedError, type BatchTiming, type JournalFileSystem, type JournalWriter } from '../journal/index.js';
import { DEFAULT_SNAPSHOTS_KEPT, SnapshotStore } from '../snapshot/index.js';
import { answer, DurabilityError, PromiseReceiver, type CommandBus, type ResultReceiver } from './api.js';
import { CommandTimestamps, systemClock, type Clock } from './clock.js';
import { lockDataDirectory, prepareDataDirectory } from './data-directory.js';
import { loadEngine, TRADING_CORE_MODULE } from './engine.js';
import { ExpiryTimer, systemTimers, type Timers } from './expiry-timer.js';
import { EventFanout, type EventListener } from './fanout.js';
import { queriesUntilFailure } from './core-view.js';
import { recover } from './recovery.js';
import { Replica, type SnapshotWritten } from './replica.js';
import { Snapshotter } from './snapshotter.js';

export interface DurableSequencerOptions {
  /** Created on first start. Holds journal/, snapshots/, history.db and LOCK. */
  dataDir: string;
  logger: Logger;
  /** Snapshot after this many commands since the last one (default 100 000). */
  snapshotEveryCommands?: number;
  /** Snapshot at least this often while commands arrive (default 5 minutes). */
  snapshotIntervalMs?: number;
  /** Source of command timestamps (default: the system clock). */
  clock?: Clock;
  /** Snapshots kept on disk; the journal keeps the segments the oldest of them needs (default 3). */
  snapshotsKept?: number;
  /** A new journal segment starts once the current one reaches this size (default 64 MiB). */
  maxSegmentBytes?: number;
  /**
   * Journal records the replica may fall behind before acknowledgements wait for it (default
   * 50,000): back-pressure, so that under a sustained overload the history neither lags without
   * bound nor queues unbounded memory.
   */
  maxReplicaLag?: number;
  /** Take a snapshot on close, so the next start replays little (default true). */
  snapshotOnClose?: boolean;
  /** The journal's file layer; tests inject write failures through it. */
  fileSystem?: JournalFileSystem;
  /** Wake-ups for GTD expiry (default: real timers); tests inject ones that follow their clock. */
  timers?: Timers;
  /** Told about each command applied and each batch made durable (metrics, traces). */
  observer?: SequencerObserver;
  /** Module (URL) exporting createCore() and restoreCore(): the core to run, here and in the replica worker (default: the trading core). */
  engineModule?: string;
}

export interface DurabilityStatus {
  healthy: boolean;
  /** Why the sequencer stopped accepting commands, if it did. */
  failure?: string;
  /** Last journal record appended / known durable. */
  lastIndex: number;
  durableIndex: number;
  /** Journal record covered by the newest snapshot. */
  snapshotIndex: number;
  seq: number;
  /** Core seq the history store (the replica) has reached. */
  historySeq: number;
  /** Journal record the history store (the replica) has reached. */
  historyIndex: number;
}

export interface DurableSequencer extends CommandBus {
  /** Order, fill and balance-change history; the replica fills it with durable events, a moment after they are acknowledged. */
  readonly history: HistoryStore;
  /** Resolves once the history holds the events of every command acknowledged so far. */
  historySynced(): Promise<void>;
  status(): DurabilityStatus;
  /** Takes a snapshot of everything durable now; undefined if there is nothing new or it failed (logged). */
  snapshotNow(): Promise<SnapshotWritten | undefined>;
  /** Makes everything submitted so far durable, answers it, and releases the data directory. */
  close(): Promise<void>;
}

/**
 * Watches the sequencer's two stages. `applied` runs synchronously inside `submit`, so in the
 * submitter's async context; what it returns comes back in `committed` with the batch that made
 * the command durable.
 */
export interface SequencerObserver {
  applied(command: Command, result: CommandResult | undefined, startedAt: number, endedAt: number): unknown;
  committed(batch: BatchTiming, tokens: readonly unknown[]): void;
}

/**
 * A submitted command until its batch is durable. A class, not a literal: V8 may allocate a
 * literal's objects straight into the old generation once a burst keeps most of them alive
 * through a scavenge (these live until an fdatasync), and an old one keeps its young result and
 * events through the next scavenges.
 */
class Pending {
  token?: unknown;
  result?: CommandResult;
  error?: unknown;
  constructor(
    readonly index: number,
    readonly receiver: ResultReceiver,
  ) {}
}

const DEFAULTS = { snapshotEveryCommands: 100_000, snapshotIntervalMs: 5 * 60_000, maxReplicaLag: 50_000 };

export async function openDurableSequencer(options: DurableSequencerOptions): Promise<DurableSequencer> {
  const layout = await prepareDataDirectory(options.dataDir, options.fileSystem);
  const unlock = await lockDataDirectory(layout);
  const logger = options.logger;
  const engineModule = options.engineModule ?? TRADING_CORE_MODULE;
  const snapshotsKept = options.snapshotsKept ?? DEFAULT_SNAPSHOTS_KEPT;
  let history: HistoryStore | undefined;
  let writer: JournalWriter | undefined;
  // Callbacks only fire after the first append, which comes after construction below.
  let sequencer: DurableSequencerImpl | undefined;
  const replica = Replica.spawn(
    { engineModule, historyFile: layout.history, snapshotsDir: layout.snapshots, snapshotsKept },
    (error) => sequencer!.replicaFailed(error),
  );
  try {
    history = openHistoryStore(layout.history);
    const snapshots = new SnapshotStore(layout.snapshots, logger, snapshotsKept);
    await snapshots.init();
    const recovered = await recover({
      journalDir: layout.journal,
      snapshots,
      history,
      engine: await loadEngine(engineModule),
      logger,
      ...(options.fileSystem ? { fs: options.fileSystem } : {}),
      writer: {
        ...(options.maxSegmentBytes !== undefined ? { maxSegmentBytes: options.maxSegmentBytes } : {}),
        onDurable: (index, records, timing) => sequencer!.released(index, records, timing),
        onFailure: (error) => sequencer!.journalFailed(error),
      },
    });
    writer = recovered.writer;
    // The replica loads the same snapshot file and journal tail itself, on its own thread, while
    // the sequencer already serves: start-up is not held up by it, and no state is copied across.
    const replicaStarted = replica.start({
      ...(recovered.snapshotPath !== undefined && { snapshot: recovered.snapshotPath }),
      journalDir: layout.journal, index: writer.lastIndex, seq: recovered.core.seq,
    });
    const snapshotter = new Snapshotter({
      replica,
      writer,
      journalDir: layout.journal,
      logger,
      everyCommands: options.snapshotEveryCommands ?? DEFAULTS.snapshotEveryCommands,
      intervalMs: options.snapshotIntervalMs ?? DEFAULTS.snapshotIntervalMs,
      coveredIndex: recovered.snapshotIndex,
    });
    sequencer = new DurableSequencerImpl(options, history, unlock, recovered.core, writer, replica, snapshotter, recovered.lastTs);
    replicaStarted.catch((error: unknown) => sequencer!.replicaFailed(error as Error));
    snapshotter.start();
    sequencer.startExpiry();
    return sequencer;
  } catch (error) {
    await replica.abandon();
    await writer?.close().catch(() => undefined);
    history?.close();
    await unlock();
    throw error;
  }
}

function acknowledge(batch: Pending[], logger: Logger): void {
  for (const item of batch) answer(item.receiver, item.result, item.error, logger);
}

class DurableSequencerImpl implements DurableSequencer {
  private readonly timestamps: CommandTimestamps;
  private readonly fanout: EventFanout;
  private readonly logger: Logger;
  private pending: Pending[] = [];
  /** Durable batches (each with its last journal index) whose acknowledgements wait for the replica, oldest first. */
  private held: { batch: Pending[]; index: number }[] = [];
  private readonly maxReplicaLag: number;
  /** Last journal index whose batch was acknowledged and handed to the replica. */
  private releasedIndex: number;
  private failure: string | undefined;
  private closing = false;
  private readonly observer: SequencerObserver | undefined;
  readonly core: CoreView;
  private readonly expiry: ExpiryTimer;

  constructor(
    private readonly options: DurableSequencerOptions,
    readonly history: HistoryStore,
    private readonly unlock: () => Promise<void>,
    private readonly rawCore: TradingCore,
    private readonly writer: JournalWriter,
    private readonly replica: Replica,
    private readonly snapshotter: Snapshotter,
    lastTs: number,
  ) {
    this.releasedIndex = writer.lastIndex;
    this.logger = options.logger;
    this.fanout = new EventFanout(this.logger);
    this.timestamps = new CommandTimestamps(options.clock ?? systemClock, lastTs);
    this.maxReplicaLag = options.maxReplicaLag ?? DEFAULTS.maxReplicaLag;
    this.observer = options.observer;
    this.core = queriesUntilFailure(rawCore, () => this.failure);
    this.expiry = new ExpiryTimer(this, options.clock ?? systemClock, options.timers ?? systemTimers, this.logger);
  }

  /** Arms GTD expiry; orders that came due while the service was down expire at once. */
  startExpiry(): void {
    this.expiry.start();
  }

  get healthy(): boolean {
    return this.failure === undefined && !this.closing;
  }

  submit(command: Command): Promise<CommandResult> {
    return new Promise((resolve, reject) => this.submitTo(command, new PromiseReceiver(resolve, reject)));
  }

  submitTo(command: Command, receiver: ResultReceiver): void {
    const refused = this.failure !== undefined ? new DurabilityError(this.failure) : this.closing ? new DurabilityError('the sequencer is shutting down') : undefined;
    if (refused) return this.refuse(receiver, refused);
    const envelope = { ts: this.timestamps.next(), command };
    let index: number;
    try {
      // Journal first: if the record cannot even be queued, the core has not seen the command.
      index = this.writer.append(envelope);
    } catch (error) {
      return this.refuse(receiver, error instanceof JournalClosedError ? new DurabilityError(error.message, { cause: error }) : error);
    }
    const pending = new Pending(index, receiver);
    // Timed only for an observer: two clock reads per command are not free.
    const startedAt = this.observer ? performance.now() : 0;
    try {
      pending.result = this.rawCore.apply(envelope);
    } catch (error) {
      // Journaled anyway: the core is deterministic, so replay throws at the same point and ends in the same state.
      pending.error = error;
    }
    if (this.observer) pending.token = this.observer.applied(command, pending.result, startedAt, performance.now());
    this.pending.push(pending);
  }

  /** A command not taken is answered a microtask later, as a rejected `submit` would be, never inside the caller's call. */
  private refuse(receiver: ResultReceiver, error: unknown): void {
    queueMicrotask(() => answer(receiver, undefined, error, this.logger));
  }

  onEvents(listener: EventListener): () => void {
    return this.fanout.add(listener);
  }

  status(): DurabilityStatus {
    return {
      healthy: this.healthy,
      ...(this.failure !== undefined ? { failure: this.failure } : {}),
      lastIndex: this.writer.lastIndex,
      durableIndex: this.writer.durableIndex,
      snapshotIndex: this.snapshotter.coveredIndex,
      seq: this.rawCore.seq,
      historySeq: this.replica.progress.seq,
      historyIndex: this.replica.progress.index,
    };
  }

  historySynced(): Promise<void> {
    return this.replica.whenApplied(this.releasedIndex);
  }

  snapshotNow(): Promise<SnapshotWritten | undefined> {
    return this.snapshotter.take();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.expiry.stop();
    await this.writer.close();
    this.fanout.flush();
    await this.snapshotter.stop();
    if (this.failure === undefined && (this.options.snapshotOnClose ?? true)) await this.snapshotter.take();
    await this.replica.close();
    this.history.close();
    await this.unlock();
  }

  /** The journal made every record up to `index` durable: hand it to the replica, publish, acknowledge. */
  released(index: number, records: Buffer, timing?: BatchTiming): void {
    this.replica.send(this.releasedIndex + 1, records);
    this.releasedIndex = index;
    let count = 0;
    while (count < this.pending.length && this.pending[count]!.index <= index) count++;
    const batch = this.pending.splice(0, count);
    if (this.observer && timing) this.observer.committed(timing, batch.map((item) => item.token));
    const events: CoreEvent[] = [];
    for (const item of batch) if (item.result) for (const event of item.result.events) events.push(event);
    if (this.held.length > 0 || index - this.replica.progress.index > this.maxReplicaLag) this.hold(batch, index);
    else acknowledge(batch, this.logger);
    // Submitters first: the listeners get the events on a later turn (EventFanout).
    this.fanout.emit(events);
    this.snapshotter.noteDurable(index);
  }

  /**
   * Holds a durable batch (ending at journal record `index`) until the replica is within the
   * allowed lag of it. Each batch waits for its own point, so held batches are acknowledged in
   * step with the replica's progress rather than all at once when it has caught up by half.
   */
  private hold(batch: Pending[], index: number): void {
    this.held.push({ batch, index });
    // If the replica fails instead, the sequencer is unhealthy; the batches are durable all the same.
    this.replica.whenApplied(index - this.maxReplicaLag).then(() => this.releaseHeld(), () => this.releaseHeld(true));
  }

  /** Acknowledges, oldest first, the held batches the replica is now close enough to (all of them if it failed). */
  private releaseHeld(all = false): void {
    const reached = this.replica.progress.index + this.maxReplicaLag;
    let count = 0;
    while (count < this.held.length && (all || this.held[count]!.index <= reached)) count++;
    for (const { batch } of this.held.splice(0, count)) acknowledge(batch, this.logger);
  }

  /** The journal failed: nothing pending may be acknowledged, and nothing more accepted. */
  journalFailed(error: Error): void {
    this.markFailed(`journal write failed: ${error.message}`, error);
    const failed = this.pending;
    this.pending = [];
    for (const item of failed) answer(item.receiver, undefined, new DurabilityError(this.failure!, { cause: error }), this.logger);
  }

  /** The replica (history projection, snapshots) failed: what is acknowledged is durable, but the history would fall behind for good. */
  replicaFailed(error: Error): void {
    this.markFailed(`replica failed: ${error.message}`, error);
  }

  private markFailed(reason: string, error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.logger.fatal({ err: error }, `durability lost, refusing new commands until restart: ${reason}`);
  }
}
