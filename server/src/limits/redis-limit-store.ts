/**
 * Limit states in Redis, so gateways on several hosts share their budgets. Each step (take,
 * give-back, consume, refund or read) is one server-side script, one round trip, computing
 * exactly what token-bucket.ts and rolling-window.ts compute, in integer milliseconds.
 * Redis holds only the states in use: a state equal to an absent one is deleted, and a kept one
 * expires a second after it would become so.
 */
import { LUA_INTEGER_HELPERS, RedisScript, type RedisClient } from '../storage/redis.js';
import type { RollingWindowStore, TokenBucketStore } from './limit-store.js';
import type { WindowConsume, WindowShape, WindowState } from './rolling-window.js';
import type { BucketShape, BucketState, BucketTake } from './token-bucket.js';

export interface RedisLimitStoreOptions {
  /** Prepended to every key, so several services (or tests) can share one Redis. */
  prefix?: string;
}

// --- Token buckets: a hash {g: grains, at}; a full bucket is deleted. ---

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

// --- Rolling windows: a hash of bucket number → units spent; an emptied window is deleted. ---

// ARGV: operation (consume | refund | read), units, quota, bucketMs, buckets, now.
// Returns {fits, bucket1, units1, bucket2, units2, ...}, oldest first.
const WINDOW_SCRIPT = new RedisScript(`${LUA_INTEGER_HELPERS}
local op, units, quota, bucketMs, buckets, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local flat = redis.call('HGETALL', KEYS[1])
local spent = {}
for i = 1, #flat, 2 do spent[#spent + 1] = {tonumber(flat[i]), tonumber(flat[i + 1])} end
table.sort(spent, function(a, b) return a[1] < b[1] end)
-- advance: a clock behind the newest spent bucket counts from that bucket
local current = math.floor(now / bucketMs)
if #spent > 0 and spent[#spent][1] > current then current = spent[#spent][1] end
local oldestKept = current - buckets + 1
local window, total = {}, 0
for _, s in ipairs(spent) do
  if s[1] >= oldestKept then window[#window + 1] = s; total = total + s[2] end
end
local fits, changed = 1, false
if op == 'consume' then
  if total + units > quota then
    fits = 0
  else
    local newest = window[#window]
    if newest and newest[1] == current then newest[2] = newest[2] + units else window[#window + 1] = {current, units} end
    changed = true
  end
elseif op == 'refund' then
  local left = units
  while left > 0 and #window > 0 do
    local newest = window[#window]
    local taken = math.min(left, newest[2])
    left = left - taken
    if newest[2] > taken then newest[2] = newest[2] - taken else window[#window] = nil end
  end
  changed = true
end
if changed then
  redis.call('DEL', KEYS[1])
  if #window > 0 then
    local fields = {}
    for _, s in ipairs(window) do fields[#fields + 1] = int(s[1]); fields[#fields + 1] = int(s[2]) end
    redis.call('HSET', KEYS[1], unpack(fields))
    local emptyAt = (window[#window][1] + buckets) * bucketMs
    redis.call('PEXPIRE', KEYS[1], int(emptyAt - now + 1000))
  end
end
local reply = {fits}
for _, s in ipairs(window) do reply[#reply + 1] = s[1]; reply[#reply + 1] = s[2] end
return reply
`);

export class RedisRollingWindowStore implements RollingWindowStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: RedisLimitStoreOptions = {}) {
    this.#client = client;
    this.#prefix = `${options.prefix ?? ''}window:`;
  }

  async consume(key: string, units: number, shape: WindowShape, now: number): Promise<WindowConsume> {
    const [fits, state] = await this.#run('consume', key, units, shape, now);
    return { fits, state };
  }

  async refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState> {
    return (await this.#run('refund', key, units, shape, now))[1];
  }

  async read(key: string, shape: WindowShape, now: number): Promise<WindowState> {
    return (await this.#run('read', key, 0, shape, now))[1];
  }

  async #run(op: string, key: string, units: number, shape: WindowShape, now: number): Promise<[boolean, WindowState]> {
    const reply = (await WINDOW_SCRIPT.run(this.#client, [this.#prefix + key], [op, units, shape.quota, shape.bucketMs, shape.buckets, now])) as number[];
    const state: { bucket: number; units: number }[] = [];
    for (let i = 1; i < reply.length; i += 2) state.push({ bucket: reply[i]!, units: reply[i + 1]! });
    return [reply[0] === 1, state];
  }
}
