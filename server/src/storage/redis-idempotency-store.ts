/**
 * The idempotency cache in Redis, shared by every gateway: one JSON value per (scope, key),
 * expiring when its 24-hour window closes (relative to the record's creation, so the gateways'
 * clocks need not agree with the Redis host's).
 */
import { IDEMPOTENCY_WINDOW_MS, type IdempotencyRecord, type IdempotencyStore } from './idempotency-store.js';
import type { RedisClient } from './redis.js';

export class RedisIdempotencyStore implements IdempotencyStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: { prefix?: string } = {}) {
    this.#client = client;
    this.#prefix = `${options.prefix ?? ''}idem:`;
  }

  async get(scope: string, key: string, now: number): Promise<IdempotencyRecord | undefined> {
    const value = await this.#client.get(this.#key(scope, key));
    if (value === null) return undefined;
    const record = JSON.parse(value) as IdempotencyRecord;
    return now - record.createdAt < IDEMPOTENCY_WINDOW_MS ? record : undefined;
  }

  async put(scope: string, key: string, record: IdempotencyRecord): Promise<void> {
    await this.#client.set(this.#key(scope, key), JSON.stringify(record), 'PX', IDEMPOTENCY_WINDOW_MS);
  }

  #key(scope: string, key: string): string {
    // The scope (an account id) never holds a NUL, so the pair maps to one key only.
    return `${this.#prefix}${scope}\u0000${key}`;
  }
}
