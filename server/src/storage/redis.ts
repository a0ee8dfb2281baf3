/**
 * The Redis connection of the external stores (ioredis). Commands are never queued while the
 * connection is down and never retried: a store that cannot reach Redis fails at once, so that
 * authentication and limits refuse the request (fail closed) instead of waiting. The client
 * reconnects by itself in the background, so the service recovers when Redis is back.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

export type RedisClient = Redis;

export interface RedisConnectOptions {
  /** A command without an answer within this many ms fails (default 1000). */
  commandTimeoutMs?: number;
  /** Told about connection errors while running (the client keeps reconnecting). */
  onError?: (error: Error) => void;
}

/** Redis cannot be used: a bad URL, or no server answering it at start-up. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** Where a Redis URL points, without its password, for messages. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}

/**
 * Connects to `url` (redis:// or rediss://) and waits until the server answers. Throws
 * RedisUnavailableError naming REDIS_URL and the address when the URL is bad or nothing answers.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<RedisClient> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUnavailableError('REDIS_URL is not a URL (expected redis://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisUnavailableError(`REDIS_URL must start with redis:// or rediss:// (got ${parsed.protocol}//)`);
  }
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // No auto-pipelining: each decision is one script, so there is little to batch, and the
    // pipeline ioredis builds per event-loop turn cost a limiter decision more in garbage and tail
    // latency than it saved (docs/benchmarks.md, external stores).
    enableAutoPipelining: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    // Keep trying in the background, at most a second apart, for as long as the service runs.
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  let starting = true;
  client.on('error', (error: Error) => {
    if (!starting) options.onError?.(error);
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const reason = error instanceof Error ? error.message : String(error);
    throw new RedisUnavailableError(`REDIS_URL: cannot reach Redis at ${describeRedisUrl(url)}: ${reason}`);
  }
  starting = false;
  return client;
}

/**
 * A server-side script, run with EVALSHA (one round trip); the first run on a server that does
 * not know it yet (NOSCRIPT) sends its text once.
 */
export class RedisScript {
  readonly #lua: string;
  readonly #sha: string;

  constructor(lua: string) {
    this.#lua = lua;
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.#lua, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Lua helpers shared by the scripts: exact integer division as in the TypeScript arithmetic
 * (a float quotient is corrected with exact products), and numbers written as whole digits
 * (tostring would round past 14 digits).
 */
export const LUA_INTEGER_HELPERS = `
local function floordiv(a, b)
  local q = math.floor(a / b)
  while q * b > a do q = q - 1 end
  while (q + 1) * b <= a do q = q + 1 end
  return q
end
local function ceildiv(a, b)
  local q = floordiv(a, b)
  if q * b == a then return q end
  return q + 1
end
local function int(n) return string.format('%.0f', n) end
`;
