/**
 * FIX session state as the sessions use it: held in memory (every session's sequence numbers are
 * read once when the acceptor starts, and a session's again at its Logon), written through to a
 * durable backend (SQLite or PostgreSQL, see session-backend.ts) in group commits. Everything
 * queued during one turn of the event loop goes into one commit; a session writes its outbound
 * bytes only once the commit holding them is durable, so the counterparty never sees a sequence
 * number that a restart could reuse, and every application message it has seen is in the resend
 * store. What is queued while a commit is in flight goes into the next; a backend that takes
 * several writes at once (the file: `writesInFlight`) is handed the next batch while the previous
 * one syncs, and commits complete strictly in order either way.
 *
 * Reads that may need the backend (stored messages for a resend, the owner of an order placed
 * before a restart) answer at once with SQLite and with a promise with PostgreSQL.
 */
import {
  isPromise, type Answer, type FixSessionBackend, type FixStoreBatch, type SequenceNumbers, type StoredMessage,
} from './session-backend.js';

export type { SequenceNumbers, StoredMessage } from './session-backend.js';

/** Called after a commit so sessions can write what the commit made durable. */
export type AfterCommit = () => void;

export interface FixSessionStoreOptions {
  /** Told about a commit that failed; it is retried after `retryMs` (default 1000) until it succeeds. */
  onCommitError?: (error: unknown) => void;
  retryMs?: number;
}

interface Batch extends Omit<FixStoreBatch, 'seqs'> {
  number: number;
  /** Each session's latest sequence numbers: one write per session per commit, however many messages moved them. */
  seqs: Map<string, SequenceNumbers>;
  callbacks: Set<AfterCommit>;
  /** The backend has taken it (or it held nothing to write); it completes once every earlier batch has. */
  written: boolean;
}

export class FixSessionStore {
  readonly #backend: FixSessionBackend;
  readonly #options: FixSessionStoreOptions;
  /** Every known session's sequence numbers, as the sessions last set them (committed or not). */
  readonly #seqs: Map<string, SequenceNumbers>;
  #pending: Batch;
  /** Batches taken for commit and not yet complete, oldest first. */
  #inFlight: Batch[] = [];
  /** How many batches that hold writes may be in flight at once: the backend's `writesInFlight`. */
  readonly #maxWrites: number;
  /** Bumped by each failed write: an answer from an earlier attempt is stale. */
  #attempt = 0;
  /** A failed commit waits for its retry; no new batch is taken meanwhile (it would overtake). */
  #retrying = false;
  /** Batches taken for commit so far, and committed so far (in order). */
  #taken = 0;
  #committed = 0;
  /** Sessions reset by a batch not yet committed, with that batch's number. */
  readonly #resetting = new Map<string, number>();
  #scheduled = false;
  #closed = false;
  #idle: (() => void) | undefined;

  private constructor(backend: FixSessionBackend, seqs: Map<string, SequenceNumbers>, options: FixSessionStoreOptions) {
    this.#backend = backend;
    this.#seqs = seqs;
    this.#options = options;
    this.#maxWrites = Math.max(1, backend.writesInFlight ?? 1);
    this.#pending = this.#newBatch();
  }

  /** Reads every session's sequence numbers from the backend, once. */
  static async open(backend: FixSessionBackend, options: FixSessionStoreOptions = {}): Promise<FixSessionStore> {
    return new FixSessionStore(backend, await backend.loadAll(), options);
  }

  /** The number of the commit that will hold what is queued now. */
  get pendingBatch(): number {
    return this.#taken + 1;
  }

  /** Commits up to this number are durable. */
  get committedBatch(): number {
    return this.#committed;
  }

  load(key: string): SequenceNumbers {
    const seqs = this.#seqs.get(key);
    return seqs ? { ...seqs } : { nextSender: 1, nextTarget: 1 };
  }

  /**
   * Reads a session's sequence numbers from the backend again (another gateway may have used the
   * session since), unless writes of this process for it are still uncommitted: those are newer.
   */
  async refresh(key: string): Promise<SequenceNumbers> {
    if (!this.#hasUncommitted(key)) {
      const stored = await this.#backend.load(key);
      if (stored && !this.#hasUncommitted(key)) this.#seqs.set(key, { ...stored });
    }
    return this.load(key);
  }

  /**
   * Takes the numbers another path committed to the backend (a report stored for the session
   * while it was logged on nowhere), unless writes of this process for it are still uncommitted.
   */
  adopt(key: string, seqs: SequenceNumbers): void {
    if (!this.#hasUncommitted(key)) this.#seqs.set(key, { ...seqs });
  }

  /** Queues new sequence numbers for the next commit. */
  saveSeqs(key: string, seqs: SequenceNumbers): void {
    // Updated in place: a session moves its numbers at every message it sends or takes.
    // The reported event goes too: with a shared store, the other gateways read it to know this
    // session was given a report (see AbsentSessionReports).
    const held = this.#seqs.get(key);
    if (held) {
      held.nextSender = seqs.nextSender;
      held.nextTarget = seqs.nextTarget;
      if (seqs.reportedEvent) held.reportedEvent = seqs.reportedEvent;
    } else {
      this.#seqs.set(key, numbersOf(seqs));
    }
    const queued = this.#pending.seqs.get(key);
    if (queued) {
      queued.nextSender = seqs.nextSender;
      queued.nextTarget = seqs.nextTarget;
      if (seqs.reportedEvent) queued.reportedEvent = seqs.reportedEvent;
    } else {
      this.#pending.seqs.set(key, numbersOf(seqs));
    }
    this.#schedule();
  }

  /**
   * Queues a sent application message for the next commit. Its entry (like an owner's) is made by
   * Array.of, not an array literal: V8 may allocate a literal's arrays straight into the old
   * generation after a burst (see core/view-objects.ts), one old garbage array per message.
   */
  saveMessage(key: string, seq: number, raw: string): void {
    this.#pending.messages.push(Array.of<string | number>(key, seq, raw) as [string, number, string]);
    this.#schedule();
  }

  saveOrderOwner(orderId: string, key: string): void {
    this.#pending.owners.push(Array.of(orderId, key) as [string, string]);
    this.#schedule();
  }

  orderOwner(orderId: string): Answer<string | undefined> {
    // Newest first: the pending batch, then the batches in flight from the last taken.
    for (let b = this.#inFlight.length; b >= 0; b--) {
      const batch = b === this.#inFlight.length ? this.#pending : this.#inFlight[b]!;
      for (let i = batch.owners.length - 1; i >= 0; i--) if (batch.owners[i]![0] === orderId) return batch.owners[i]![1];
    }
    return this.#backend.orderOwner(orderId);
  }

  /** Stored messages with begin <= seq <= end: committed ones and ones waiting for their commit. */
  messages(key: string, begin: number, end: number): Answer<StoredMessage[]> {
    const resetIn = this.#resetting.get(key);
    const queued: StoredMessage[] = [];
    // In-flight messages of a session reset by the pending batch predate that reset.
    for (const batch of [...this.#inFlight, this.#pending]) {
      if (resetIn !== undefined && batch.number < resetIn) continue;
      for (const [k, seq, raw] of batch.messages) if (k === key && seq >= begin && seq <= end) queued.push({ seq, raw });
    }
    // A reset not yet committed: what the backend still holds for the session is gone.
    if (resetIn !== undefined) return merge([], queued);
    const stored = this.#backend.messages(key, begin, end);
    return isPromise(stored) ? stored.then((rows) => merge(rows, queued)) : merge(stored, queued);
  }

  /** Forgets a session's messages and restarts both sequence numbers at 1 (in the next commit). */
  reset(key: string): void {
    this.#pending.messages = this.#pending.messages.filter(([k]) => k !== key);
    this.#pending.seqs.delete(key);
    this.#pending.resets.push(key);
    this.#resetting.set(key, this.#pending.number);
    const held = this.#seqs.get(key);
    if (held) {
      held.nextSender = 1;
      held.nextTarget = 1;
    } else {
      this.#seqs.set(key, { nextSender: 1, nextTarget: 1 });
    }
    this.#schedule();
  }

  /** Runs `callback` once everything queued before this call is durable. */
  whenCommitted(callback: AfterCommit): void {
    this.#pending.callbacks.add(callback);
    this.#schedule();
  }

  /** Commits everything queued now, unless the backend has no room for another write yet (then when it has). */
  commit(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.callbacks.size === 0 && isEmpty(batch)) {
      if (this.#inFlight.length === 0) this.#idle?.();
      return;
    }
    // The next one starts when a write completes.
    if (!isEmpty(batch) && (this.#retrying || this.#writesInFlight() >= this.#maxWrites)) return;
    this.#taken = batch.number;
    this.#pending = this.#newBatch();
    this.#inFlight.push(batch);
    if (isEmpty(batch)) {
      // Only callbacks: they run once every batch before them is durable.
      batch.written = true;
      this.#complete();
    } else {
      this.#write(batch);
    }
  }

  /**
   * Commits what is queued, then closes the backend. A backend that keeps failing is given up on
   * after `timeoutMs`: what it did not take was never sent either (bytes leave only after their
   * commit), so the counterparty has seen no sequence number that is lost.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.#closed) return;
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight.length > 0 || this.#pending.callbacks.size > 0 || !isEmpty(this.#pending)) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<void>((resolve) => {
        this.#idle = resolve;
        timer = setTimeout(resolve, left);
      });
      this.commit();
      await idle;
      clearTimeout(timer);
    }
    this.#closed = true;
    await this.#backend.close();
  }

  #write(batch: Batch): void {
    const attempt = this.#attempt;
    let written: Answer<void>;
    try {
      written = this.#backend.write({ resets: batch.resets, messages: batch.messages, seqs: [...batch.seqs], owners: batch.owners });
    } catch (error) {
      return this.#failed(attempt, error);
    }
    const done = (): void => {
      if (attempt !== this.#attempt) return;
      batch.written = true;
      this.#complete();
    };
    if (isPromise(written)) written.then(done, (error: unknown) => this.#failed(attempt, error));
    else done();
  }

  /** Completes, oldest first, every batch whose write and every earlier one are done. */
  #complete(): void {
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.written) {
      const batch = this.#inFlight.shift()!;
      this.#committed = batch.number;
      for (const key of batch.resets) if (this.#resetting.get(key) === batch.number) this.#resetting.delete(key);
      for (const callback of batch.callbacks) callback();
    }
    if (this.#pending.callbacks.size > 0 || !isEmpty(this.#pending)) this.#schedule();
    else if (this.#inFlight.length === 0) this.#idle?.();
  }

  /**
   * Nothing of a batch leaves before it is durable: a failed write is made again until it
   * succeeds, with every batch in flight behind it (the backend failed those too), in order.
   */
  #failed(attempt: number, error: unknown): void {
    if (attempt !== this.#attempt) return;
    this.#attempt++;
    this.#retrying = true;
    this.#options.onCommitError?.(error);
    setTimeout(() => {
      if (this.#closed) return;
      this.#retrying = false;
      for (const batch of this.#inFlight) if (!batch.written && !isEmpty(batch)) this.#write(batch);
      this.#schedule();
    }, this.#options.retryMs ?? 1000).unref();
  }

  #writesInFlight(): number {
    let n = 0;
    for (const batch of this.#inFlight) if (!isEmpty(batch)) n++;
    return n;
  }

  #hasUncommitted(key: string): boolean {
    return [this.#pending, ...this.#inFlight].some((b) => b.resets.includes(key) || b.seqs.has(key));
  }

  #newBatch(): Batch {
    return { number: this.#taken + 1, resets: [], messages: [], seqs: new Map(), owners: [], callbacks: new Set(), written: false };
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => this.commit());
  }
}

function isEmpty(batch: Batch): boolean {
  return batch.resets.length === 0 && batch.messages.length === 0 && batch.seqs.size === 0 && batch.owners.length === 0;
}

/** Stored rows with the queued messages laid over them (a queued message replaces a stored one of its seq). */
function merge(rows: StoredMessage[], queued: StoredMessage[]): StoredMessage[] {
  if (queued.length === 0) return rows;
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  for (const q of queued) bySeq.set(q.seq, q);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** A copy of the numbers, with the reported event only where one was reported. */
function numbersOf({ nextSender, nextTarget, reportedEvent }: SequenceNumbers): SequenceNumbers {
  return reportedEvent ? { nextSender, nextTarget, reportedEvent } : { nextSender, nextTarget };
}
