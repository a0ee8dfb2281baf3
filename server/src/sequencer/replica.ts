/**
 * The sequencer's handle on its replica worker: hands it every durable batch, asks it for
 * snapshots, and tracks how far it has got. A replica failure is reported once through
 * `onFailure`; the sequencer then stops accepting commands.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from './module-worker.js';
import { siblingModule } from './engine.js';
import type { FromReplica, ReplicaConfig, ToReplica } from './replica-protocol.js';

export interface SnapshotWritten {
  index: number;
  seq: number;
  /** Index of the oldest snapshot still kept; the journal before it may be retired. */
  oldestKept: number;
  bytes: number;
  ms: number;
}

interface Waiter { index: number; resolve: () => void; reject: (error: Error) => void }

export class Replica {
  private appliedIndex: number;
  private appliedSeq: number;
  private failure: Error | undefined;
  private waiters: Waiter[] = [];
  private nextSnapshotId = 1;
  private readonly snapshotReplies = new Map<number, { resolve: (written: SnapshotWritten) => void; reject: (error: Error) => void }>();
  private closed: (() => void) | undefined;

  /** Until `start` settles: where its outcome goes (a worker error before then fails start-up, not the running sequencer). */
  private starting: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private bootError: Error | undefined;
  private running = false;

  private constructor(private readonly worker: Worker, private readonly onFailure: (error: Error) => void) {
    this.appliedIndex = 0;
    this.appliedSeq = 0;
    worker.on('message', (message: FromReplica) => this.receive(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`replica worker exited (code ${code})`));
      this.closed?.();
    });
  }

  /**
   * Spawns the worker, which starts loading the core's modules at once (overlapping the
   * sequencer's recovery); `start` then hands it the recovered state.
   */
  static spawn(config: ReplicaConfig, onFailure: (error: Error) => void): Replica {
    return new Replica(startModuleWorker(siblingModule('./replica-worker'), config), onFailure);
  }

  /**
   * Has the replica reach the core's state after journal record `index` from the same snapshot
   * file and journal that recovery used (no state crosses the thread boundary); resolves once it
   * is ready. Records sent meanwhile wait in the worker. The history already holds everything up
   * to `index`, so progress starts there.
   */
  start(from: { snapshot?: string; journalDir: string; index: number; seq: number }): Promise<void> {
    if (this.bootError) return Promise.reject(this.bootError);
    this.appliedIndex = from.index;
    this.appliedSeq = from.seq;
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
      this.post({ type: 'start', ...(from.snapshot !== undefined && { snapshot: from.snapshot }), journalDir: from.journalDir, index: from.index });
    });
  }

  /** Stops a replica that never started (start-up failed elsewhere). */
  async abandon(): Promise<void> {
    this.closed ??= () => undefined;
    await this.worker.terminate();
  }

  /** Journal index and core seq the replica (and so the history store) has reached. */
  get progress(): { index: number; seq: number } {
    return { index: this.appliedIndex, seq: this.appliedSeq };
  }

  /** Hands over one durable batch of encoded records. */
  send(firstIndex: number, records: Buffer): void {
    // A copy of exactly these bytes, moved (not cloned) to the worker.
    const bytes = (records.buffer as ArrayBuffer).slice(records.byteOffset, records.byteOffset + records.length);
    this.post({ type: 'records', firstIndex, bytes }, [bytes]);
  }

  /** Resolves once the replica has applied (and projected) every record up to `index`. */
  whenApplied(index: number): Promise<void> {
    if (index <= this.appliedIndex) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }

  /** Asks for a snapshot of the replica's state once it has applied everything sent so far. */
  snapshot(): Promise<SnapshotWritten> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextSnapshotId++;
    return new Promise((resolve, reject) => {
      this.snapshotReplies.set(id, { resolve, reject });
      this.post({ type: 'snapshot', id });
    });
  }

  /** Lets the replica finish what it was sent (and any snapshot asked for), then stops it. */
  async close(): Promise<void> {
    if (this.closed) return;
    const exited = new Promise<void>((resolve) => (this.closed = resolve));
    if (this.failure) await this.worker.terminate();
    else this.post({ type: 'close' });
    await exited;
  }

  private post(message: ToReplica, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private receive(message: FromReplica): void {
    switch (message.type) {
      case 'ready':
        this.running = true;
        this.starting?.resolve();
        this.starting = undefined;
        return;
      case 'progress': {
        this.appliedIndex = message.index;
        this.appliedSeq = message.seq;
        const remaining: Waiter[] = [];
        for (const waiter of this.waiters) {
          if (waiter.index <= message.index) waiter.resolve();
          else remaining.push(waiter);
        }
        this.waiters = remaining;
        return;
      }
      case 'snapshot-done':
      case 'snapshot-failed': {
        const reply = this.snapshotReplies.get(message.id);
        this.snapshotReplies.delete(message.id);
        if (message.type === 'snapshot-done') reply?.resolve(message);
        else reply?.reject(new Error(message.message));
        return;
      }
      case 'failed':
        this.fail(new Error(message.message));
        return;
      case 'closed':
        void this.worker.terminate();
        return;
      default:
    }
  }

  private fail(error: Error): void {
    if (this.failure || this.bootError) return;
    if (!this.running) {
      // Not running yet: the error belongs to start-up (whoever awaits start() reports it).
      this.bootError = error;
      this.starting?.reject(error);
      this.starting = undefined;
    }
    this.failure = error;
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters = [];
    for (const reply of this.snapshotReplies.values()) reply.reject(error);
    this.snapshotReplies.clear();
    if (this.running) this.onFailure(error);
  }
}
