/**
 * Login over real sockets: signed exactly like a REST request for `GET /v1/ws` (HMAC and
 * Ed25519 keys), with REST's window and replay protection and its error codes; a revoked or
 * expired key ends its live sessions; per-key connection limits.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.js';
import { ClientPool, loginRequest } from './client.js';
import { startHarness, type Harness, type Trader } from './harness.js';

let h: Harness;
let trader: Trader;
const pool = new ClientPool();
const connect = () => pool.connect(h.url);

beforeAll(async () => {
  h = await startHarness({ config: { maxConnectionsPerKey: 2, idleTimeoutMs: 60_000 } });
  trader = await h.trader('l1');
});

afterEach(() => expect(pool.release()).toEqual([]));

afterAll(async () => h.close());

describe('a valid login', () => {
  it('logs in with an HMAC key and reports the principal and the key budget', async () => {
    const c = await connect();
    const reply = await c.login(trader, { cancelOnDisconnect: true });
    expect(reply).toMatchObject({ type: 'reply', op: 'login', result: { keyId: trader.keyId, accountId: 'l1', scopes: ['read', 'trade'], cancelOnDisconnect: true } });
    expect(reply.rateLimit.map((u: { policy: string }) => u.policy)).toEqual(['key', 'ip']);
  });

  it('logs in with an Ed25519 key', async () => {
    await h.submit({ type: 'CreateAccount', accountId: 'l-ed' });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const created = await h.keys.create({ accountId: 'l-ed', kind: 'ed25519', label: 'ed', scopes: ['read'], publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString() });
    const c = await connect();
    expect(await c.login({ keyId: created.record.keyId, privateKey })).toMatchObject({ type: 'reply', result: { accountId: 'l-ed', scopes: ['read'] } });
  });
});

describe('login failures', () => {
  it('refuses a bad signature with AUTH_INVALID and keeps the connection usable for public data', async () => {
    const c = await connect();
    const request = loginRequest(trader);
    const answer = await c.request('login', { ...request, signature: Buffer.alloc(32, 7).toString('base64') });
    expect(answer).toMatchObject({ type: 'error', code: 'AUTH_INVALID', status: 401 });
    await c.ok('subscribe', { channel: 'trades', symbol: 'BTC-USD' });
    expect(await c.request('subscribe', { channel: 'orders' })).toMatchObject({ code: 'WS_LOGIN_REQUIRED' });
  });

  it('refuses a replayed login with AUTH_REPLAYED, even on another connection', async () => {
    const request = loginRequest(trader);
    const first = await connect();
    expect((await first.request('login', request)).type).toBe('reply');
    const second = await connect();
    expect(await second.request('login', request)).toMatchObject({ type: 'error', code: 'AUTH_REPLAYED', status: 401 });
  });

  it('refuses a timestamp outside the window and a window wider than the default is not honoured', async () => {
    const c = await connect();
    expect(await c.login(trader, { timestamp: Date.now() - 60_000 })).toMatchObject({ code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW' });
    expect(await c.login(trader, { timestamp: Date.now() - 2_000, window: 1_000 })).toMatchObject({ code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW' });
  });

  it('refuses a revoked or unknown key exactly like a bad signature', async () => {
    const revoked = await h.trader('l-revoked');
    await h.keys.revoke(revoked.keyId);
    const c = await connect();
    expect(await c.login(revoked)).toMatchObject({ code: 'AUTH_INVALID', status: 401 });
    expect(await c.login({ keyId: 'ak_unknown', secret: revoked.secret })).toMatchObject({ code: 'AUTH_INVALID', status: 401 });
  });

  it('refuses a malformed login with VALIDATION_FAILED naming the field', async () => {
    const c = await connect();
    const answer = await c.request('login', { keyId: trader.keyId, timestamp: 'now', signature: 'x' });
    expect(answer).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/args/timestamp', message: 'must be integer' }] });
  });

  it('refuses a second login on the same connection', async () => {
    const c = await connect();
    await c.login(trader);
    expect(await c.login(trader)).toMatchObject({ code: 'WS_ALREADY_LOGGED_IN', status: 409 });
  });

  it('allows at most maxConnectionsPerKey logged-in connections per key', async () => {
    const limited = await h.trader('l-limit');
    const [a, b, c] = [await connect(), await connect(), await connect()];
    expect((await a.login(limited)).type).toBe('reply');
    expect((await b.login(limited)).type).toBe('reply');
    expect(await c.login(limited)).toMatchObject({ code: 'WS_TOO_MANY_CONNECTIONS', status: 429 });
    a.close();
    await a.closed;
    // The server frees the slot when its own close event runs, which may come after the client's.
    await eventually(async () => expect((await c.login(limited)).type).toBe('reply'));
  });
});

describe('session end', () => {
  it('closes every live session of a key with 4001 when the key is revoked, and no other session', async () => {
    const victim = await h.trader('l-victim');
    const bystander = await h.trader('l-bystander');
    const [a, b, other] = [await connect(), await connect(), await connect()];
    await a.login(victim);
    await b.login(victim);
    await other.login(bystander);
    await a.ok('subscribe', { channel: 'orders' });
    await h.keys.revoke(victim.keyId);
    expect(await a.closed).toEqual({ code: 4001, reason: 'API key revoked' });
    expect((await b.closed).code).toBe(4001);
    expect((await other.request('ping')).type).toBe('reply');
  });

  it('closes a session with 4001 when its key expires', async () => {
    // The gateway's clock passes the expiry only after the login: however slowly the login runs,
    // the key is valid while it does (the verifier reads the real clock, an hour before the expiry).
    const clock = { now: Date.now() };
    const expiry = await startHarness({ clock: () => clock.now });
    try {
      const expiresAt = Date.now() + 3_600_000;
      const expiring = await expiry.trader('l-expiring', ['read'], {}, { expiresAt });
      const c = await pool.connect(expiry.url);
      expect(await c.login(expiring)).toMatchObject({ result: { expiresAt } });
      expect(await c.request('ping')).toMatchObject({ type: 'reply' });
      clock.now = expiresAt;
      expect(await c.closed).toEqual({ code: 4001, reason: 'API key expired' });
    } finally {
      await expiry.close();
    }
  });
});
