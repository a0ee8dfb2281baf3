/**
 * Leases on FIX sessions, so that a session (account, SenderCompID) is live on exactly one
 * gateway at a time. A gateway takes the lease at Logon, renews it while the session is live,
 * and gives it back at disconnect; a Logon for the same session on another gateway is refused
 * until the lease is given back or lapses (a gateway that died stops renewing it).
 */
export interface SessionLeases {
  /** Takes the lease for `owner`, or renews it if `owner` already holds it; false if another owner holds it. */
  acquire(session: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease `owner` holds; false if it lapsed or another owner holds it now. */
  renew(session: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease back if `owner` still holds it. */
  release(session: string, owner: string): Promise<void>;
  /** Who holds the lease now (undefined: nobody, or it lapsed). */
  holder(session: string): Promise<string | undefined>;
}

/** The lease name of a FIX session: its account and the counterparty's SenderCompID. */
export const fixSessionLease = (accountId: string, senderCompId: string): string => `fix:${accountId}:${senderCompId}`;

/**
 * The owner name a gateway uses while it stores a message for a session logged on nowhere (see
 * absent-session-reports.ts): a Logon elsewhere waits for it, unlike for a live session's lease.
 */
export const absentWriter = (owner: string): string => `${owner}#absent`;
export const isAbsentWriter = (holder: string): boolean => holder.endsWith('#absent');

/** Leases in this process's memory: a single gateway (the embedded default). */
export class MemorySessionLeases implements SessionLeases {
  readonly #leases = new Map<string, { owner: string; until: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async acquire(session: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const held = this.#leases.get(session);
    if (held && held.owner !== owner && held.until > now) return false;
    this.#leases.set(session, { owner, until: now + ttlMs });
    return true;
  }

  async renew(session: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const held = this.#leases.get(session);
    if (!held || held.owner !== owner || held.until <= now) return false;
    held.until = now + ttlMs;
    return true;
  }

  async release(session: string, owner: string): Promise<void> {
    if (this.#leases.get(session)?.owner === owner) this.#leases.delete(session);
  }

  async holder(session: string): Promise<string | undefined> {
    const held = this.#leases.get(session);
    return held && held.until > this.#now() ? held.owner : undefined;
  }
}
