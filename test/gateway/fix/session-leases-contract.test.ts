/** Every FIX session lease registry keeps one contract (memory, Redis): one live holder per session. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionLeases } from '../../../server/src/gateway/fix/redis-session-leases.js';
import { MemorySessionLeases, fixSessionLease, type SessionLeases } from '../../../server/src/gateway/fix/session-leases.js';
import { connectRedis, type RedisClient } from '../../../server/src/storage/redis.js';
import { eventually } from '../../helpers/eventually.js';
import { startRedisServer, type TestRedisServer } from '../../helpers/redis-server.js';

let redisServer: TestRedisServer;
let redis: RedisClient;
let prefixes = 0;
beforeAll(async () => {
  redisServer = await startRedisServer();
  redis = await connectRedis(redisServer.url);
});
afterAll(async () => {
  redis.disconnect();
  await redisServer.stop();
});

const registries: [string, () => SessionLeases][] = [
  ['memory', () => new MemorySessionLeases()],
  ['Redis', () => new RedisSessionLeases(redis, { prefix: `leases${++prefixes}:` })],
];
const session = fixSessionLease('acc-1', 'CLIENT1');

describe.each(registries)('%s session leases', (_name, make) => {
  it('one gateway holds a session; another is refused until the holder gives it back', async () => {
    const leases = make();
    expect(await leases.acquire(session, 'gw-a', 60_000)).toBe(true);
    expect(await leases.acquire(session, 'gw-a', 60_000)).toBe(true); // the holder may take it again
    expect(await leases.acquire(session, 'gw-b', 60_000)).toBe(false);
    expect(await leases.acquire(fixSessionLease('acc-1', 'CLIENT2'), 'gw-b', 60_000)).toBe(true);
    await leases.release(session, 'gw-b'); // not the holder: changes nothing
    expect(await leases.acquire(session, 'gw-b', 60_000)).toBe(false);
    await leases.release(session, 'gw-a');
    expect(await leases.acquire(session, 'gw-b', 60_000)).toBe(true);
  });

  it('tells who holds a session, and nobody once it is given back or lapses', async () => {
    const leases = make();
    expect(await leases.holder(session)).toBeUndefined();
    expect(await leases.acquire(session, 'gw-a', 60_000)).toBe(true);
    expect(await leases.holder(session)).toBe('gw-a');
    await leases.release(session, 'gw-a');
    expect(await leases.holder(session)).toBeUndefined();
    expect(await leases.acquire(session, 'gw-b', 80)).toBe(true);
    expect(await leases.holder(session)).toBe('gw-b');
    await eventually(async () => expect(await leases.holder(session)).toBeUndefined());
  });

  it('exactly one of many gateways racing for a session gets it', async () => {
    const leases = make();
    const won = await Promise.all(Array.from({ length: 10 }, (_, i) => leases.acquire(session, `gw-${i}`, 60_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('a lease that is not renewed lapses, and the old holder can then neither renew nor release the new one', async () => {
    const leases = make();
    expect(await leases.acquire(session, 'gw-a', 80)).toBe(true);
    expect(await leases.renew(session, 'gw-a', 80)).toBe(true);
    expect(await leases.acquire(session, 'gw-b', 60_000)).toBe(false);
    await eventually(async () => expect(await leases.acquire(session, 'gw-b', 60_000)).toBe(true));
    expect(await leases.renew(session, 'gw-a', 60_000)).toBe(false);
    await leases.release(session, 'gw-a');
    expect(await leases.acquire(session, 'gw-a', 60_000)).toBe(false);
  });
});
