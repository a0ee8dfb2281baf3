/**
 * Token buckets in Redis, so gateways on several hosts share their budgets. Each take, give-back
 * or read is one server-side script (one round trip), computing exactly what token-bucket.ts
 * computes, in integer milliseconds and grains. A bucket is a hash {g: grains, at}; a full
 * bucket is deleted (it is the same as an absent one), and a kept one expires a second after it
 * would be full again, so Redis holds only the buckets in use.
 */
import { LUA_INTEGER_HELPERS, RedisScript, type RedisClient } from '../storage/redis.js';
import type { TokenBucketStore } from './limit-store.js';
import type { BucketShape, BucketState, BucketTake } from './token-bucket.js';

// ARGV: operation (take | give | read), units, capacity, periodMs, now. Returns {taken, grains, at}.
const BUCKET_SCRIPT = new RedisScript(`${LUA_INTEGER_HELPERS}
local op, units, capacity, period, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local full = capacity * period
local stored = redis.call('HMGET', KEYS[1], 'g', 'at')
local grains, at = full, now
if stored[1] then
  local g, t = tonumber(stored[1]), tonumber(stored[2])
  grains = math.min(full, math.max(0, g) + math.min(math.max(0, now - t), period) * capacity)
  at = math.max(t, now)
end
local taken, changed = 1, false
if op == 'take' then
  local cost = units * period
  if grains < cost then taken = 0 else grains = grains - cost; changed = true end
elseif op == 'give' then
  grains = math.min(full, grains + units * period)
  changed = true
end
if changed then
  if grains >= full then
    redis.call('DEL', KEYS[1])
  else
    redis.call('HSET', KEYS[1], 'g', int(grains), 'at', int(at))
    local fullAt = at + ceildiv(full - grains, capacity)
    redis.call('PEXPIRE', KEYS[1], int(fullAt - now + 1000))
  end
end
return {taken, grains, at}
`);

export interface RedisLimitStoreOptions {
  /** Prepended to every key, so several services (or tests) can share one Redis. */
  prefix?: string;
}

export class RedisTokenBucketStore implements TokenBucketStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: RedisLimitStoreOptions = {}) {
    this.#client = client;
    this.#prefix = `${options.prefix ?? ''}bucket:`;
  }

  async take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake> {
    const [taken, state] = await this.#run('take', key, units, shape, now);
    return { taken, state };
  }

  async giveBack(key: string, units: number, shape: BucketShape, now: number): Promise<BucketState> {
    return (await this.#run('give', key, units, shape, now))[1];
  }

  async read(key: string, shape: BucketShape, now: number): Promise<BucketState> {
    return (await this.#run('read', key, 0, shape, now))[1];
  }

  async #run(op: string, key: string, units: number, shape: BucketShape, now: number): Promise<[boolean, BucketState]> {
    const reply = (await BUCKET_SCRIPT.run(this.#client, [this.#prefix + key], [op, units, shape.capacity, shape.periodMs, now])) as [number, number, number];
    return [reply[0] === 1, { grains: reply[1], at: reply[2] }];
  }
}
