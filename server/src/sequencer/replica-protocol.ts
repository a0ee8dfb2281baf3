/** Messages between the sequencer and its replica worker. */
/** What the worker needs to boot (given at spawn, so loading modules overlaps the sequencer's recovery). */
export interface ReplicaConfig {
  engineModule: string;
  historyFile: string;
  snapshotsDir: string;
  snapshotsKept: number;
}

export type ToReplica =
  /**
   * After recovery: reach the core's state after journal record `index` (everything the history
   * already holds) the way recovery did: load the snapshot file `snapshot` (none: an empty core),
   * then apply the journal's records after it, up to `index`.
   */
  | { type: 'start'; snapshot?: string; journalDir: string; index: number }
  /** Durable records, in order, starting at `firstIndex`. */
  | { type: 'records'; firstIndex: number; bytes: ArrayBuffer }
  | { type: 'snapshot'; id: number }
  | { type: 'close' };

export type FromReplica =
  | { type: 'ready' }
  /** Everything up to journal record `index` (core seq `seq`) is applied and in the history store. */
  | { type: 'progress'; index: number; seq: number }
  | { type: 'snapshot-done'; id: number; index: number; seq: number; oldestKept: number; bytes: number; ms: number }
  | { type: 'snapshot-failed'; id: number; message: string }
  /** The replica cannot go on (history store write failed, or it diverged from the journal). */
  | { type: 'failed'; message: string }
  | { type: 'closed' };
