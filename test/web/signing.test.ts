/**
 * web/signing.js, the page's WebCrypto signing (Node has the same WebCrypto), checked against
 * the scheme of docs/authentication.md as the test client writes it, and against a live
 * service's verifier.
 */
import { createHmac, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalString as documented } from '../helpers/signing.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { canonicalString, createSigner, loginArgs, signedHeaders } from '../../web/signing.js';

describe('signing in the browser', () => {
  it('builds the documented canonical string', async () => {
    const body = '{"symbol":"BTC-USD","side":"buy"}';
    await expect(canonicalString(1764000000000, 'post', '/v1/orders?x=1', body)).resolves.toBe(documented(1764000000000, 'POST', '/v1/orders?x=1', body));
    await expect(canonicalString(1, 'GET', '/v1/ws', '')).resolves.toBe('1\nGET\n/v1/ws\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('signs with an HMAC secret as HMAC-SHA256 of the decoded secret, in base64', async () => {
    const secret = randomBytes(32).toString('base64url');
    const signer = await createSigner('ak_test', secret);
    expect(signer.kind).toBe('hmac');
    const message = documented(42, 'GET', '/v1/balances', '');
    await expect(signer.sign(message)).resolves.toBe(createHmac('sha256', Buffer.from(secret, 'base64url')).update(message).digest('base64'));
  });

  it('signs with an Ed25519 PEM private key: pure Ed25519 the public key verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = await createSigner('ak_ed', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(signer.kind).toBe('ed25519');
    const args = await loginArgs(signer, 1764000000000, true);
    expect(args).toMatchObject({ keyId: 'ak_ed', timestamp: 1764000000000, cancelOnDisconnect: true });
    expect(verify(null, Buffer.from(documented(1764000000000, 'GET', '/v1/ws', '')), publicKey, Buffer.from(args.signature, 'base64'))).toBe(true);
  });

  it('refuses a secret that is neither kind of key', async () => {
    await expect(createSigner('ak_x', 'not a secret')).rejects.toThrow(/neither an HMAC secret/);
    await expect(createSigner('ak_x', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).rejects.toThrow();
  });
});

describe('against a live service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('a request signed by the page\'s code is accepted, the same with a wrong secret is AUTH_INVALID', async () => {
    const trader = await svc.createTrader('web-signing');
    const get = async (secret: string) => {
      const headers = await signedHeaders(await createSigner(trader.keyId, secret), Date.now(), 'GET', '/v1/balances', '');
      return fetch(`${svc.baseUrl}/v1/balances`, { headers });
    };
    expect((await get(trader.secret)).status).toBe(200);
    const refused = await get(randomBytes(32).toString('base64url'));
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('AUTH_INVALID');
  });
});
