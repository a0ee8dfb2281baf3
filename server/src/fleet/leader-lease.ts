/**
 * A shard's leader lease in a JetStream KV bucket: taken with create-if-absent, renewed by
 * updating the revision we hold, and lapsing by the bucket's TTL when it is not renewed (nats
 * 2.9 has bucket-level TTL only: the unrenewed entry ages out, then a standby's create wins).
 *
 * The holder also keeps its own deadline, `validUntil`: the time it sent its last successful
 * renewal plus the TTL, less a margin. The server cannot expire the entry before then, so a
 * leader that checks the deadline before each command never acts on a lease that another node
 * may already hold (a process paused past its lease sees the deadline passed when it resumes).
 */
import { StorageType, type KV, type NatsConnection, type NatsError } from 'nats';
import { LEADER_BUCKET, leaseKey } from './shard-names.js';

export interface LeaseValue {
  nodeId: string;
  /**
   * The KV revision at which this holder created the entry: it only grows (the bucket's stream
   * sequence), so every new holder's term is above every earlier one's, with nothing to remember.
   */
  term: number;
  /** When this holder took the lease (its clock, ms). */
  since: number;
}

export interface LeaderLeaseOptions {
  shard: number;
  nodeId: string;
  /** Replicas of the bucket when this call creates it. */
  replicas: number;
  /** The bucket's TTL when this call creates it; an existing bucket keeps its own (read back as `ttlMs`). */
  ttlMs: number;
  /** The node's clock (ms); tests may inject one. */
  now?: () => number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class LeaderLease {
  private revision: number | undefined;
  private held: LeaseValue | undefined;
  private deadline = 0;
  private readonly now: () => number;
  private readonly key: string;

  private constructor(private readonly kv: KV, private readonly options: LeaderLeaseOptions, readonly ttlMs: number) {
    this.now = options.now ?? Date.now;
    this.key = leaseKey(options.shard);
  }

  static async open(nc: NatsConnection, options: LeaderLeaseOptions): Promise<LeaderLease> {
    const kv = await nc.jetstream().views.kv(LEADER_BUCKET, {
      history: 1, ttl: options.ttlMs, replicas: options.replicas, storage: StorageType.File, timeout: Math.max(1_000, options.ttlMs),
    });
    const status = await kv.status();
    return new LeaderLease(kv, options, status.ttl > 0 ? status.ttl : options.ttlMs);
  }

  /** What this node holds, if it believes it holds the lease. */
  get value(): LeaseValue | undefined {
    return this.held;
  }

  /** The local time after which this node must act as if it no longer held the lease. */
  get validUntil(): number {
    return this.deadline;
  }

  /** True while this node holds the lease and its deadline has not passed. */
  isValid(): boolean {
    return this.held !== undefined && this.now() < this.deadline;
  }

  /** The lease in the bucket now (whoever holds it), if any. */
  async current(): Promise<LeaseValue | undefined> {
    const entry = await this.kv.get(this.key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return decode(entry.value);
  }

  /** Takes the lease if nobody holds it; resolves with the value taken, or undefined if held elsewhere. */
  async tryAcquire(): Promise<LeaseValue | undefined> {
    if (this.held) return this.held;
    const holder = await this.current();
    if (holder) return undefined;
    const sentAt = this.now();
    const claim = { nodeId: this.options.nodeId, term: 0, since: sentAt };
    let value: LeaseValue;
    try {
      const created = await this.kv.create(this.key, encode(claim));
      // The entry's revision is the term; written into the value at once, by revision.
      value = { ...claim, term: created };
      this.revision = await this.kv.update(this.key, encode(value), created);
    } catch (error) {
      if (isRevisionMismatch(error)) return undefined; // another standby won
      throw error;
    }
    this.held = value;
    this.deadline = this.deadlineFrom(sentAt);
    return value;
  }

  /**
   * Renews the lease by revision. Resolves false when it is no longer ours (lapsed, or taken by
   * another node); throws when NATS did not answer (the deadline then decides).
   */
  async renew(): Promise<boolean> {
    if (!this.held || this.revision === undefined) return false;
    const sentAt = this.now();
    try {
      this.revision = await this.kv.update(this.key, encode(this.held), this.revision);
    } catch (error) {
      if (isRevisionMismatch(error)) {
        this.forget();
        return false;
      }
      throw error;
    }
    this.deadline = this.deadlineFrom(sentAt);
    return true;
  }

  /** Gives the lease up (deletes it if still ours), so a standby need not wait for the TTL. */
  async release(): Promise<void> {
    const revision = this.revision;
    const held = this.held;
    this.forget();
    if (!held || revision === undefined) return;
    try {
      await this.kv.delete(this.key, { previousSeq: revision });
    } catch (error) {
      if (!isRevisionMismatch(error)) throw error;
    }
  }

  /** Stops believing it holds the lease (deposed); the entry ages out by itself. */
  forget(): void {
    this.held = undefined;
    this.revision = undefined;
    this.deadline = 0;
  }

  private deadlineFrom(sentAt: number): number {
    // A fifth of the TTL as margin for clock rate differences and the time the request took to arrive.
    return sentAt + this.ttlMs - Math.ceil(this.ttlMs / 5);
  }
}

function isRevisionMismatch(error: unknown): boolean {
  return (error as NatsError | undefined)?.api_error?.err_code === 10071;
}

function encode(value: LeaseValue): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function decode(bytes: Uint8Array): LeaseValue {
  try {
    const value = JSON.parse(decoder.decode(bytes)) as Partial<LeaseValue>;
    if (typeof value.nodeId === 'string' && Number.isSafeInteger(value.term) && Number.isFinite(value.since)) return value as LeaseValue;
  } catch {
    // A value of another shape: treated as held by someone unknown (below).
  }
  return { nodeId: '?', term: 0, since: 0 };
}
