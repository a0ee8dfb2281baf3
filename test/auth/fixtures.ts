/** Client-side signing helpers and a wired verifier for the auth tests. */
import { createHash, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AuthLockout, MemoryApiKeyStore, MemoryReplayCache, RequestVerifier, type NewApiKey, type ReplayCache } from '../../server/src/auth/index.js';

/** Builds the REST canonical string independently of the library, as a client would. */
export function clientCanonical(timestamp: number | string, method: string, pathWithQuery: string, body: string | Buffer = ''): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return `${timestamp}\n${method}\n${pathWithQuery}\n${bodyHash}`;
}

export function hmacSign(secretBase64url: string, message: string): string {
  return createHmac('sha256', Buffer.from(secretBase64url, 'base64url')).update(message).digest('base64');
}

export function ed25519Sign(privateKey: KeyObject, message: string): string {
  return sign(null, Buffer.from(message), privateKey).toString('base64');
}

export function newEd25519Pair(): { privateKey: KeyObject; publicPem: string; publicRawBase64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicRawBase64: der.subarray(der.length - 32).toString('base64'),
  };
}

export const NOW = 1_750_000_000_000;

export interface Harness {
  store: MemoryApiKeyStore;
  verifier: RequestVerifier;
  clock: { now: number };
}

export function harness(options: { replayCache?: ReplayCache; lockout?: AuthLockout; windowMs?: number } = {}): Harness {
  const clock = { now: NOW };
  const store = new MemoryApiKeyStore({ now: () => clock.now });
  const verifier = new RequestVerifier({
    store,
    now: () => clock.now,
    replayCache: options.replayCache ?? new MemoryReplayCache(),
    // Generous defaults so lockout never interferes with tests of other rules.
    lockout: options.lockout ?? new AuthLockout({
      ip: { maxFailures: 1000, failureWindowSeconds: 60, baseLockoutSeconds: 1, maxLockoutSeconds: 1, levelMemorySeconds: 60 },
      key: { maxFailures: 1000, failureWindowSeconds: 60, baseLockoutSeconds: 1, maxLockoutSeconds: 1, levelMemorySeconds: 60 },
    }),
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
  });
  return { store, verifier, clock };
}

export const HMAC_KEY: NewApiKey = { accountId: 'acc-1', kind: 'hmac', label: 'bot', scopes: ['read', 'trade'] };
