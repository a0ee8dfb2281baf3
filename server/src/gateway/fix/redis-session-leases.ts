/**
 * FIX session leases in Redis, shared by every gateway: a lease is a key holding its owner with
 * a time to live (Redis's own clock). Taking it is SET NX PX (or a renewal by the same owner);
 * renewing and giving back compare the owner first, in one script, so a gateway whose lease
 * lapsed and was taken by another can neither extend nor delete the new holder's lease.
 */
import { RedisScript, type RedisClient } from '../../storage/redis.js';
import type { SessionLeases } from './session-leases.js';

// KEYS[1] lease; ARGV: owner, ttl ms. 1 when the owner holds it afterwards.
const ACQUIRE = new RedisScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
return 0
`);
const RENEW = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
return 0
`);
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`);

export class RedisSessionLeases implements SessionLeases {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: { prefix?: string } = {}) {
    this.#client = client;
    this.#prefix = `${options.prefix ?? ''}lease:`;
  }

  async acquire(session: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await ACQUIRE.run(this.#client, [this.#prefix + session], [owner, ttlMs])) === 1;
  }

  async renew(session: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await RENEW.run(this.#client, [this.#prefix + session], [owner, ttlMs])) === 1;
  }

  async release(session: string, owner: string): Promise<void> {
    await RELEASE.run(this.#client, [this.#prefix + session], [owner]);
  }

  async holder(session: string): Promise<string | undefined> {
    return (await this.#client.get(this.#prefix + session)) ?? undefined;
  }
}
