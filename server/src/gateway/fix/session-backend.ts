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
  /**
   * The last core event (journal sequence) the session was given a report of. Only the shared
   * (PostgreSQL) store keeps it, never lowering it (see AbsentSessionReports); undefined when
   * none was, or with the embedded store.
   */
  reportedEvent?: number;
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
  /** Each session's latest sequence numbers, one entry per session. */
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
  /**
   * How many writes may be in flight at once (default 1). Above 1 the backend applies them in
   * call order, resolves them in call order, and when one fails, fails every one not yet resolved.
   */
  readonly writesInFlight?: number;
  close(): Answer<void>;
}

/** A message stored for a session that is logged on at no gateway, by exactly one of them. */
export interface AbsentSessionAppend {
  key: string;
  /** The core event the message reports (undefined: not an event's report, never skipped). */
  event: number | undefined;
  /** The message as it is stored, with this MsgSeqNum. */
  encode(seq: number): string;
}

/**
 * A backend several gateways share (PostgreSQL): it sequences and stores a message for a session
 * that is logged on nowhere in one transaction, unless the event was already reported to it.
 */
export interface SharedFixSessionBackend extends FixSessionBackend {
  /** The session's numbers afterwards; `stored` false when another gateway had stored it already. */
  appendForAbsentSession(append: AbsentSessionAppend): Promise<{ stored: boolean; seqs: SequenceNumbers }>;
  /** Which of `orderIds` the session placed (through whichever gateway). */
  ordersOwnedBy(key: string, orderIds: readonly string[]): Promise<string[]>;
}

export function isShared(backend: FixSessionBackend): backend is SharedFixSessionBackend {
  return typeof (backend as Partial<SharedFixSessionBackend>).appendForAbsentSession === 'function';
}

export function isPromise<T>(answer: Answer<T>): answer is Promise<T> {
  return typeof (answer as Promise<T> | undefined)?.then === 'function';
}
