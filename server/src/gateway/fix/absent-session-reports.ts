/**
 * Application messages for a FIX session that is not connected at this gateway, when several
 * gateways share the session store (PostgreSQL) and the lease registry (Redis). Every gateway
 * sees every core event, so each would otherwise sequence and store the same ExecutionReport
 * from its own stale numbers. Here exactly one stores it:
 *
 * - the gateway where the session is live sends it, and no other stores it (the lease says who);
 *   but a report is kept until the store shows it reported (the session's reported_event), because
 *   that gateway may have died holding the lease: once its lease lapses, the report is stored here
 *   as for a session logged on nowhere, so a fill made while a dead gateway's lease ran out still
 *   reaches the session at its next Logon;
 * - when it is live nowhere, a gateway takes the session's lease as an absent-session writer, and
 *   the store numbers and saves the message in one transaction unless the event was reported to
 *   the session already (another gateway got there first); then the lease is given back.
 *
 * Per session, messages and Logons at this gateway take turns in one queue, so they keep their
 * order and a Logon reads the numbers only after what was stored before it.
 */
import type { Logger } from 'pino';
import type { Body, Field } from './codec.js';
import type { SharedFixSessionBackend } from './session-backend.js';
import { absentWriter, fixSessionLease, isAbsentWriter, type SessionLeases } from './session-leases.js';
import type { FixSession } from './session.js';
import type { FixSessionStore } from './store.js';

export interface OutboundApplication {
  msgType: string;
  body: Body;
  route: readonly Field[];
  /** The core event (journal sequence) an ExecutionReport reports; undefined for other messages. */
  event: number | undefined;
}

export interface AbsentSessionReportsOptions {
  leases: SessionLeases;
  /** This gateway's lease owner name (its live sessions' leases). */
  owner: string;
  leaseTtlMs: number;
  backend: SharedFixSessionBackend;
  store: FixSessionStore;
  logger: Logger;
  /** Wait between attempts while another writer holds the lease or the store fails (default 20 ms). */
  retryMs?: number;
  /** A message not stored by then is given up on, and logged (default 30 s). */
  giveUpMs?: number;
  /** While the session is live at another gateway: how often the store is read to see the report there (default 200 ms). */
  reportedPollMs?: number;
}

export class AbsentSessionReports {
  readonly #options: AbsentSessionReportsOptions;
  /** The tail of each session's queue, while it has work. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Each session's reported_event as last read from the store (it only grows). */
  readonly #reported = new Map<string, number>();
  #closed = false;

  constructor(options: AbsentSessionReportsOptions) {
    this.#options = options;
  }

  /** Whether work for the session is queued here: later messages must queue behind it. */
  busy(key: string): boolean {
    return this.#queues.has(key);
  }

  /** Runs `task` once everything queued before it for the session is done. */
  exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return run;
  }

  /** Sends the message if the session is connected here by its turn, or stores it once for all gateways. */
  deliver(session: FixSession, message: OutboundApplication): void {
    void this.exclusive(session.key, () => this.#deliver(session, message)).catch((err: unknown) => {
      this.#options.logger.error({ err, session: session.key, msgType: message.msgType, event: message.event }, 'FIX message for a session logged on nowhere could not be stored');
    });
  }

  /** Which of `orderIds` the session placed, through any gateway. */
  ordersOwnedBy(key: string, orderIds: readonly string[]): Promise<string[]> {
    return this.#options.backend.ordersOwnedBy(key, orderIds);
  }

  close(): void {
    this.#closed = true;
  }

  async #deliver(session: FixSession, message: OutboundApplication): Promise<void> {
    if (session.sendIfConnected(message)) return; // a Logon here came first
    const { leases, owner, leaseTtlMs, backend, store, logger } = this.#options;
    const retryMs = this.#options.retryMs ?? 20;
    const deadline = Date.now() + (this.#options.giveUpMs ?? 30_000);
    const lease = fixSessionLease(session.accountId, session.settings.targetCompId);
    const writer = absentWriter(owner);
    // What this gateway wrote for the session while it was live here goes first.
    if (!(await committed(store, deadline))) throw new Error('the session store did not commit in time');
    let liveElsewhere = false;
    for (;;) {
      if (this.#closed) throw new Error('the acceptor closed first');
      let held = false;
      let waitMs = retryMs;
      try {
        held = await leases.acquire(lease, writer, leaseTtlMs);
        if (!held) {
          const holder = await leases.holder(lease);
          liveElsewhere = holder !== undefined && holder !== owner && !isAbsentWriter(holder);
          if (liveElsewhere) {
            // Live at another gateway: that one sends it (it sees every event too), unless it dies
            // first; then its lease lapses and the report is stored here on a later turn.
            if (message.event === undefined || (await this.#reportedThrough(session.key, message.event))) return;
            waitMs = this.#options.reportedPollMs ?? 200;
          }
          // Otherwise another writer is storing, or this gateway's own lease is being given back.
        } else {
          const { stored, seqs } = await backend.appendForAbsentSession({
            key: session.key, event: message.event, encode: (seq) => session.encodeForStore(seq, message),
          });
          store.adopt(session.key, seqs);
          this.#noteReported(session.key, seqs.reportedEvent);
          if (!stored) logger.debug({ session: session.key, event: message.event }, 'FIX report already stored by another gateway');
          return;
        }
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        logger.warn({ err, session: session.key }, 'storing a FIX message for a session logged on nowhere failed; retrying');
      } finally {
        if (held) await leases.release(lease, writer).catch(() => undefined);
      }
      if (Date.now() >= deadline) {
        // The gateway where it is live kept its lease all along, so it is alive and reports it when it gets there.
        if (liveElsewhere) return;
        throw new Error(`the lease of ${lease} stayed with another writer`);
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** Whether the session's store shows the event reported (by whichever gateway); reads the store only when the last read does not. */
  async #reportedThrough(key: string, event: number): Promise<boolean> {
    if (event <= (this.#reported.get(key) ?? 0)) return true;
    this.#noteReported(key, (await this.#options.backend.load(key))?.reportedEvent);
    return event <= (this.#reported.get(key) ?? 0);
  }

  #noteReported(key: string, reportedEvent: number | undefined): void {
    if (reportedEvent !== undefined && reportedEvent > (this.#reported.get(key) ?? 0)) this.#reported.set(key, reportedEvent);
  }
}

/** Resolves true once everything queued in the store so far is durable, false at the deadline. */
function committed(store: FixSessionStore, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    timer.unref();
    store.whenCommitted(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
