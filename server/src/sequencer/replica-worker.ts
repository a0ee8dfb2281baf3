/**
 * The replica: a worker thread that follows the journal. It receives each durable batch of
 * records, applies them to its own copy of the core (deterministic, so its events are the
 * events the sequencer published), projects those of them the history keeps (only those are
 * formatted: history-events.ts) into the history store, and writes
 * snapshots from its copy. All of that work stays off the sequencer's thread, and because the
 * replica only ever sees durable records, a snapshot can never hold an unjournaled command.
 */
import { readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { CoreEvent, TradingCore } from '../core/api.js';
import { openHistoryStore, type HistoryStore } from '../history/index.js';
import { scanJournal } from '../journal/index.js';
import { decodeSnapshot, encodeSnapshot, SnapshotStore } from '../snapshot/index.js';
import { applyRecordsForHistory } from './history-events.js';
import type { CoreEngine } from './engine.js';
import { loadEngine, replayEventsAfter } from './engine.js';
import type { FromReplica, ReplicaConfig, ToReplica } from './replica-protocol.js';

const REPLICA_NICENESS = 10;
/** Events projected per transaction at most, so a large backlog still commits (and reports) in steps. */
const MAX_EVENTS_PER_TRANSACTION = 20_000;
/**
 * Once it has nothing queued, the replica checkpoints the history's WAL itself if it projected
 * something and did not checkpoint for this long. Each such checkpoint is small, so its fsyncs,
 * which stall the journal's fdatasyncs on the same device, are short; under a sustained load
 * the replica is never idle and SQLite's large automatic checkpoints (cheaper per command) remain.
 */
const IDLE_CHECKPOINT_AFTER_MS = 100;

const port = parentPort!;
const send = (message: FromReplica) => port.postMessage(message);

class Replica {
  private queue: { firstIndex: number; bytes: Buffer }[] = [];
  private snapshotRequests: number[] = [];
  private scheduled = false;
  private failed = false;
  private snapshotting: Promise<void> = Promise.resolve();
  private projectedSinceCheckpoint = false;
  private lastCheckpoint = Date.now();

  constructor(private readonly core: TradingCore, private index: number, private readonly history: HistoryStore, private readonly snapshots: SnapshotStore) {}

  receive(message: ToReplica): void {
    if (this.failed) return;
    if (message.type === 'records') this.queue.push({ firstIndex: message.firstIndex, bytes: Buffer.from(message.bytes) });
    else if (message.type === 'snapshot') this.snapshotRequests.push(message.id);
    else if (message.type === 'close') {
      void this.close();
      return;
    } else return;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Lets every message already queued arrive first, so one transaction covers them all.
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    try {
      const events: CoreEvent[] = [];
      while (this.queue.length > 0 && events.length < MAX_EVENTS_PER_TRANSACTION) {
        const { firstIndex, bytes } = this.queue.shift()!;
        if (firstIndex !== this.index + 1) throw new Error(`replica at record ${this.index} received records from ${firstIndex}`);
        this.index = applyRecordsForHistory(this.core, bytes, events, this.index);
      }
      // The core's seq: the history has seen every event up to it, kept or not.
      this.history.project(events, this.core.seq);
      this.projectedSinceCheckpoint ||= events.length > 0;
      if (events.length > 0 || this.queue.length === 0) send({ type: 'progress', index: this.index, seq: this.core.seq });
      if (this.queue.length === 0) this.checkpointWhenIdle();
    } catch (error) {
      this.failed = true;
      send({ type: 'failed', message: (error as Error).message });
      return;
    }
    // A snapshot asked for is taken at once, even with records still queued: under steady load
    // the queue may never run empty, and any applied index is a consistent point.
    if (this.snapshotRequests.length > 0) this.snapshot(this.snapshotRequests.splice(0));
    if (this.queue.length > 0) this.schedule();
  }

  private checkpointWhenIdle(): void {
    if (!this.projectedSinceCheckpoint || Date.now() - this.lastCheckpoint < IDLE_CHECKPOINT_AFTER_MS) return;
    this.history.checkpoint();
    this.projectedSinceCheckpoint = false;
    this.lastCheckpoint = Date.now();
  }

  /** Captures the state now (in step with the history), writes it while records keep flowing. */
  private snapshot(ids: number[]): void {
    const started = Date.now();
    const index = this.index;
    const seq = this.core.seq;
    let encoded: Buffer;
    try {
      // The binary form where the core has one: quicker to write here and to load at a restart.
      encoded = encodeSnapshot({ index, seq, takenAt: started }, this.core.snapshotBinary?.() ?? this.core.snapshot());
    } catch (error) {
      for (const id of ids) send({ type: 'snapshot-failed', id, message: (error as Error).message });
      return;
    }
    this.snapshotting = this.snapshotting.then(async () => {
      try {
        const oldestKept = await this.snapshots.write(index, encoded);
        for (const id of ids) send({ type: 'snapshot-done', id, index, seq, oldestKept, bytes: encoded.length, ms: Date.now() - started });
      } catch (error) {
        for (const id of ids) send({ type: 'snapshot-failed', id, message: (error as Error).message });
      }
    });
  }

  private async close(): Promise<void> {
    while (this.queue.length > 0 && !this.failed) this.drain();
    if (this.snapshotRequests.length > 0 && !this.failed) this.snapshot(this.snapshotRequests.splice(0));
    await this.snapshotting;
    this.history.close();
    send({ type: 'closed' });
  }
}

/**
 * Lowers this thread's CPU priority (Linux: a thread id is accepted where a pid is), so that
 * on a busy machine the sequencer's thread and the journal's fsync threads go first: the
 * replica only has to keep up on average. Elsewhere this is a no-op.
 */
function yieldCpuToTheSequencer(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(threadId) && threadId > 0) setPriority(threadId, REPLICA_NICENESS);
  } catch {
    // No /proc, or not permitted: run at normal priority.
  }
}

async function boot(): Promise<void> {
  const config = workerData as ReplicaConfig;
  yieldCpuToTheSequencer();
  // Messages that arrive while the replica loads its state wait here, in order.
  const early: ToReplica[] = [];
  let replica: Replica | undefined;
  let starting = false;
  port.on('message', (message: ToReplica) => {
    if (replica) replica.receive(message);
    else if (!starting && message.type === 'start') {
      starting = true;
      // Loading the core's modules is most of the start-up cost; it began while the sequencer recovered.
      void engineLoaded.then((engine) => catchUp(engine, message)).then((ready) => {
        replica = ready;
        send({ type: 'ready' });
        for (const next of early.splice(0)) ready.receive(next);
      }).catch((error: unknown) => send({ type: 'failed', message: `replica did not start: ${(error as Error).message}` }));
    } else if (!starting) send({ type: 'failed', message: `replica expected start, got ${message.type}` });
    else early.push(message);
  });
  const engineLoaded = loadEngine(config.engineModule);
  await engineLoaded;

  async function catchUp(engine: CoreEngine, start: Extract<ToReplica, { type: 'start' }>): Promise<Replica> {
    let core: TradingCore;
    let index = 0;
    if (start.snapshot !== undefined) {
      const decoded = decodeSnapshot(await readFile(start.snapshot));
      if (!decoded.ok) throw new Error(`snapshot ${start.snapshot}: ${decoded.reason}`);
      core = engine.restoreCore(decoded.snapshot.core);
      index = decoded.snapshot.index;
    } else core = engine.createCore();
    // The records recovery replayed after the snapshot; the sequencer may be appending past them already.
    await scanJournal(start.journalDir, {
      fromIndex: index + 1,
      onRecord: (record) => {
        if (record.index > start.index) return;
        try {
          // Nothing reads these events: the replica projects only what comes after recovery.
          replayEventsAfter(core, record.envelope, Number.MAX_SAFE_INTEGER);
        } catch {
          // Deterministic: recovery's core threw on this record too.
        }
        index = record.index;
      },
    });
    if (index !== start.index) throw new Error(`the journal took the replica to record ${index}, not ${start.index}`);
    // The history store is opened only now: recovery projected into it meanwhile.
    const history = openHistoryStore(config.historyFile);
    const snapshots = new SnapshotStore(config.snapshotsDir, pino({ level: 'silent' }), config.snapshotsKept);
    return new Replica(core, index, history, snapshots);
  }
}

boot().catch((error: unknown) => send({ type: 'failed', message: `replica did not start: ${(error as Error).message}` }));
