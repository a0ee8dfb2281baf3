/**
 * Where FIX session state is kept durably: sequence numbers, the application messages sent (for
 * ResendRequest) and which session owns which order. The session code never waits on it
 * directly: FixSessionStore (store.ts) keeps the state in memory and group-commits writes here.
 * An answer is a value (SQLite, in-process) or a promise (PostgreSQL, a round trip).
 */

export type Answer<T> = T | Promise<T>;

export interface SequenceNumbers {
  nextSender: number;
  nextTarget: number;
}

export interface StoredMessage {
  seq: number;
  raw: string;
}

/** One group commit, applied in one transaction, in this order. */
export interface FixStoreBatch {
  /** Sessions whose stored messages are deleted and sequence numbers set to 1, before the rest. */
  resets: string[];
  messages: Array<[key: string, seq: number, raw: string]>;
  seqs: Array<[key: string, seqs: SequenceNumbers]>;
  owners: Array<[orderId: string, key: string]>;
}

export interface FixSessionBackend {
  /** Every session's sequence numbers (there is one row per session ever logged on). */
  loadAll(): Answer<Map<string, SequenceNumbers>>;
  /** One session's sequence numbers as last committed (undefined: never stored). */
  load(key: string): Answer<SequenceNumbers | undefined>;
  /** Stored messages with begin <= seq <= end, in seq order. */
  messages(key: string, begin: number, end: number): Answer<StoredMessage[]>;
  orderOwner(orderId: string): Answer<string | undefined>;
  write(batch: FixStoreBatch): Answer<void>;
  close(): Answer<void>;
}

export function isPromise<T>(answer: Answer<T>): answer is Promise<T> {
  return typeof (answer as Promise<T> | undefined)?.then === 'function';
}
