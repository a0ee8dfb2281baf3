/**
 * Limit states in Redis, so gateways on several hosts share their budgets. Each step is one
 * server-side script, one round trip, computing exactly what token-bucket.ts and
 * rolling-window.ts compute, in integer milliseconds. A decision on all of a request's policies
 * of one kind (`takeAll`, `consumeAll`) is one script too, all or nothing: Redis runs a script
 * alone, so no other gateway's step comes between its reads and its writes. (The keys of one
 * script need not share a hash slot: these stores expect one Redis server, not a cluster.)
 * Redis holds only the states in use: a state equal to an absent one is deleted, and a kept one
 * expires a second after it would become so.
 */
import { LUA_INTEGER_HELPERS, RedisScript, type RedisClient } from '../storage/redis.js';
import type { LimitCheck, RollingWindowStore, TokenBucketStore } from './limit-store.js';
import type { SpentBucket, WindowConsume, WindowShape, WindowState } from './rolling-window.js';
import type { BucketShape, BucketState, BucketTake } from './token-bucket.js';

export interface RedisLimitStoreOptions {
  /** Prepended to every key, so several services (or tests) can share one Redis. */
  prefix?: string;
}

/**
 * The script's part common to both kinds: checks run in order over KEYS, each on its key's state
 * as the earlier checks left it (`pending`), else as stored (`load`, read once per key).
 * `spend` is all or nothing: `allFit` tells whether every check fitted.
 */
const CHECKS_PRELUDE = `${LUA_INTEGER_HELPERS}
local op, now = ARGV[1], tonumber(ARGV[2])
local loaded, pending = {}, {}
local allFit = true
`;

// --- Token buckets: a hash {g: grains, at}; a full bucket is deleted. ---

// KEYS: the buckets. ARGV: operation (take | give | read), now, then per bucket: units, capacity,
// periodMs. `take` takes from every bucket or from none. Returns per bucket {taken, grains, at}.
const BUCKET_SCRIPT = new RedisScript(`${CHECKS_PRELUDE}
local function load(key)
  if loaded[key] == nil then
    local s = redis.call('HMGET', key, 'g', 'at')
    loaded[key] = s[1] and {tonumber(s[1]), tonumber(s[2])} or false
  end
  return loaded[key]
end
-- the bucket refilled up to now (an absent one is full); a clock behind the stored time adds nothing
local function refill(s, capacity, period)
  local full = capacity * period
  if not s then return {full, now} end
  return {math.min(full, math.max(0, s[1]) + math.min(math.max(0, now - s[2]), period) * capacity), math.max(s[2], now)}
end
local shapes, after = {}, {}
for i = 1, #KEYS do
  local key, units, capacity, period = KEYS[i], tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local before = pending[key]
  if before == nil then before = load(key) end
  local b = refill(before, capacity, period)
  local taken = 1
  if op == 'take' then
    local cost = units * period
    if b[1] < cost then taken = 0; allFit = false else b[1] = b[1] - cost; pending[key] = b end
  elseif op == 'give' then
    b[1] = math.min(capacity * period, b[1] + units * period)
    pending[key] = b
  end
  shapes[i] = {capacity, period, taken}
  after[i] = b
end
if op == 'give' or (op == 'take' and allFit) then
  for i = 1, #KEYS do
    local capacity, period, b = shapes[i][1], shapes[i][2], after[i]
    local full = capacity * period
    if b[1] >= full then
      redis.call('DEL', KEYS[i])
    else
      redis.call('HSET', KEYS[i], 'g', int(b[1]), 'at', int(b[2]))
      local fullAt = b[2] + ceildiv(full - b[1], capacity)
      redis.call('PEXPIRE', KEYS[i], int(fullAt - now + 1000))
    end
  end
end
local reply = {}
for i = 1, #KEYS do
  local b = after[i]
  -- refused: nothing was taken, so every bucket reads as stored
  if op == 'take' and not allFit then b = refill(load(KEYS[i]), shapes[i][1], shapes[i][2]) end
  reply[#reply + 1] = shapes[i][3]; reply[#reply + 1] = b[1]; reply[#reply + 1] = b[2]
end
return reply
`);

export class RedisTokenBucketStore implements TokenBucketStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: RedisLimitStoreOptions = {}) {
    this.#client = client;
    this.#prefix = `${options.prefix ?? ''}bucket:`;
  }

  async take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake> {
    return (await this.takeAll([{ key, units, shape }], now))[0]!;
  }

  async takeAll(checks: readonly LimitCheck<BucketShape>[], now: number): Promise<BucketTake[]> {
    return (await this.#run('take', checks, now)).map(([taken, state]) => ({ taken, state }));
  }

  async giveBack(key: string, units: number, shape: BucketShape, now: number): Promise<BucketState> {
    return (await this.#run('give', [{ key, units, shape }], now))[0]![1];
  }

  async read(key: string, shape: BucketShape, now: number): Promise<BucketState> {
    return (await this.#run('read', [{ key, units: 0, shape }], now))[0]![1];
  }

  async #run(op: string, checks: readonly LimitCheck<BucketShape>[], now: number): Promise<[boolean, BucketState][]> {
    if (checks.length === 0) return [];
    const args: (string | number)[] = [op, now];
    for (const { units, shape } of checks) args.push(units, shape.capacity, shape.periodMs);
    const reply = (await BUCKET_SCRIPT.run(this.#client, checks.map((c) => this.#prefix + c.key), args)) as number[];
    return checks.map((_, i) => [reply[3 * i] === 1, { grains: reply[3 * i + 1]!, at: reply[3 * i + 2]! }]);
  }
}

// --- Rolling windows: a hash of bucket number → units spent; an emptied window is deleted. ---

// KEYS: the windows. ARGV: operation (consume | refund | read), now, then per window: units,
// quota, bucketMs, buckets. `consume` spends in every window or in none.
// Returns per window {fits, n, bucket1, units1, ..., bucketN, unitsN}, oldest first.
const WINDOW_SCRIPT = new RedisScript(`${CHECKS_PRELUDE}
local function load(key)
  if loaded[key] == nil then
    local flat = redis.call('HGETALL', key)
    local spent = {}
    for i = 1, #flat, 2 do spent[#spent + 1] = {tonumber(flat[i]), tonumber(flat[i + 1])} end
    table.sort(spent, function(a, b) return a[1] < b[1] end)
    loaded[key] = spent
  end
  return loaded[key]
end
-- the current bucket: a clock behind the newest spent bucket counts from that bucket
local function currentBucket(spent, bucketMs)
  local current = math.floor(now / bucketMs)
  if #spent > 0 and spent[#spent][1] > current then current = spent[#spent][1] end
  return current
end
-- the window at now: copies of the spent buckets still in it
local function advance(spent, bucketMs, buckets)
  local oldestKept = currentBucket(spent, bucketMs) - buckets + 1
  local window = {}
  for _, s in ipairs(spent) do
    if s[1] >= oldestKept then window[#window + 1] = {s[1], s[2]} end
  end
  return window
end
local shapes, after = {}, {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local units, quota, bucketMs, buckets = tonumber(ARGV[4 * i - 1]), tonumber(ARGV[4 * i]), tonumber(ARGV[4 * i + 1]), tonumber(ARGV[4 * i + 2])
  local before = pending[key]
  if before == nil then before = load(key) end
  local window = advance(before, bucketMs, buckets)
  local fits = 1
  if op == 'consume' then
    local total = 0
    for _, s in ipairs(window) do total = total + s[2] end
    if total + units > quota then
      fits = 0; allFit = false
    else
      local current, newest = currentBucket(window, bucketMs), window[#window]
      if newest and newest[1] == current then newest[2] = newest[2] + units else window[#window + 1] = {current, units} end
      pending[key] = window
    end
  elseif op == 'refund' then
    local left = units
    while left > 0 and #window > 0 do
      local newest = window[#window]
      local taken = math.min(left, newest[2])
      left = left - taken
      if newest[2] > taken then newest[2] = newest[2] - taken else window[#window] = nil end
    end
    pending[key] = window
  end
  shapes[i] = {bucketMs, buckets, fits}
  after[i] = window
end
if op == 'refund' or (op == 'consume' and allFit) then
  for i = 1, #KEYS do
    local bucketMs, buckets, window = shapes[i][1], shapes[i][2], after[i]
    redis.call('DEL', KEYS[i])
    if #window > 0 then
      local fields = {}
      for _, s in ipairs(window) do fields[#fields + 1] = int(s[1]); fields[#fields + 1] = int(s[2]) end
      redis.call('HSET', KEYS[i], unpack(fields))
      local emptyAt = (window[#window][1] + buckets) * bucketMs
      redis.call('PEXPIRE', KEYS[i], int(emptyAt - now + 1000))
    end
  end
end
local reply = {}
for i = 1, #KEYS do
  local window = after[i]
  -- refused: nothing was spent, so every window reads as stored
  if op == 'consume' and not allFit then window = advance(load(KEYS[i]), shapes[i][1], shapes[i][2]) end
  reply[#reply + 1] = shapes[i][3]; reply[#reply + 1] = #window
  for _, s in ipairs(window) do reply[#reply + 1] = s[1]; reply[#reply + 1] = s[2] end
end
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
    return (await this.consumeAll([{ key, units, shape }], now))[0]!;
  }

  async consumeAll(checks: readonly LimitCheck<WindowShape>[], now: number): Promise<WindowConsume[]> {
    return (await this.#run('consume', checks, now)).map(([fits, state]) => ({ fits, state }));
  }

  async refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState> {
    return (await this.#run('refund', [{ key, units, shape }], now))[0]![1];
  }

  async read(key: string, shape: WindowShape, now: number): Promise<WindowState> {
    return (await this.#run('read', [{ key, units: 0, shape }], now))[0]![1];
  }

  async #run(op: string, checks: readonly LimitCheck<WindowShape>[], now: number): Promise<[boolean, WindowState][]> {
    if (checks.length === 0) return [];
    const args: (string | number)[] = [op, now];
    for (const { units, shape } of checks) args.push(units, shape.quota, shape.bucketMs, shape.buckets);
    const reply = (await WINDOW_SCRIPT.run(this.#client, checks.map((c) => this.#prefix + c.key), args)) as number[];
    const answers: [boolean, WindowState][] = [];
    let at = 0;
    for (let i = 0; i < checks.length; i++) {
      const fits = reply[at++] === 1;
      const spent: SpentBucket[] = [];
      for (let n = reply[at++]!; n > 0; n--, at += 2) spent.push({ bucket: reply[at]!, units: reply[at + 1]! });
      answers.push([fits, spent]);
    }
    return answers;
  }
}
