/**
 * The replay cache in Redis: the one source of truth when several gateways verify. Each check is
 * one `SET NX PX` on (key id, signature): whichever gateway sets it first admits the request,
 * every other one finds it and refuses the replay. Redis expires the entry once the timestamp can
 * no longer pass the window check; the time to live is relative (expiresAt − now), so it holds
 * whatever the offset between the gateways' clocks and the Redis host's.
 */
import type { RedisClient } from '../storage/redis.js';
import type { ReplayCache, ReplayVerdict } from './replay-cache.js';

export class RedisReplayCache implements ReplayCache {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: { prefix?: string } = {}) {
    this.#client = client;
    this.#prefix = `${options.prefix ?? ''}replay:`;
  }

  async remember(keyId: string, signature: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    const ttl = Math.max(1, expiresAt - now);
    const set = await this.#client.set(`${this.#prefix}${keyId}:${signature}`, '1', 'PX', ttl, 'NX');
    return set === 'OK' ? 'fresh' : 'replayed';
  }
}
