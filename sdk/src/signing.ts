/**
 * Request signing as docs/authentication.md defines it: the canonical string
 * `timestamp \n METHOD \n pathWithQuery \n hex(sha256(body))`, signed with HMAC-SHA256 under the
 * base64url-decoded secret or with an Ed25519 private key, sent base64-encoded. Uses WebCrypto,
 * so it runs unchanged in Node 20+ and browsers.
 */
import { ServerClock } from './clock.js';
import { base64ToBytes, bytesToBase64, sha256Hex, utf8 } from './encoding.js';

/** An HMAC key: the id and the secret exactly as the create response returned it (base64url). */
export interface HmacCredentials {
  keyId: string;
  secret: string;
}

/** WebCrypto's CryptoKey, named without the DOM library. */
export type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** Node's KeyObject, recognised by shape so this module needs no node: import. */
export interface KeyObjectLike {
  type: string;
  export(options: { format: 'der'; type: 'pkcs8' }): Uint8Array;
}

/**
 * An Ed25519 key: the id and the private key, as PKCS#8 PEM (`openssl genpkey -algorithm
 * ed25519`), a Node KeyObject, a WebCrypto CryptoKey, or the raw 32-byte seed.
 */
export interface Ed25519Credentials {
  keyId: string;
  privateKey: string | KeyObjectLike | WebCryptoKey | Uint8Array;
}

export type ApiCredentials = HmacCredentials | Ed25519Credentials;

export interface SignedHeaders {
  'X-API-Key': string;
  'X-API-Timestamp': string;
  'X-API-Signature': string;
  'X-API-Window'?: string;
}

export interface WsLoginCredentials {
  keyId: string;
  timestamp: number;
  signature: string;
}

/** The server's timestamp window (docs/authentication.md). */
export const SERVER_WINDOW_MS = 5_000;

/**
 * How long issued timestamps are remembered (elapsed time, not clock time): far beyond the
 * server's replay memory, which ends `window` after each timestamp.
 */
const ISSUED_MEMORY_MS = 60_000;

/**
 * Issued timestamps in increasing order (they only ever increase between corrections), each with
 * the monotonic time it was issued at, so forgetting old ones does not depend on the clock being right.
 */
class IssuedTimestamps {
  #items: { timestamp: number; issuedAt: number }[] = [];
  #head = 0;

  push(timestamp: number): void {
    this.#items.push({ timestamp, issuedAt: performance.now() });
  }

  last(): number | undefined {
    return this.#head < this.#items.length ? this.#items[this.#items.length - 1]!.timestamp : undefined;
  }

  /** Forgets timestamps issued more than `ageMs` ago. */
  forgetOlderThan(ageMs: number): void {
    const cutoff = performance.now() - ageMs;
    while (this.#head < this.#items.length - 1 && this.#items[this.#head]!.issuedAt < cutoff) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  dropAbove(limit: number): void {
    while (this.#items.length > this.#head && this.#items[this.#items.length - 1]!.timestamp > limit) this.#items.pop();
  }
}

/** The SHA-256 of the empty body, as it appears in every GET's canonical string. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export async function canonicalString(timestamp: number, method: string, pathWithQuery: string, body: Uint8Array | string): Promise<string> {
  const bytes = typeof body === 'string' ? utf8(body) : body;
  const bodyHash = bytes.length === 0 ? EMPTY_BODY_SHA256 : await sha256Hex(bytes);
  return `${timestamp}\n${method.toUpperCase()}\n${pathWithQuery}\n${bodyHash}`;
}

/** PKCS#8 DER prefix for an Ed25519 private key (RFC 8410): the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

async function importSigningKey(credentials: ApiCredentials): Promise<{ algorithm: 'HMAC' | 'Ed25519'; key: WebCryptoKey }> {
  if ('secret' in credentials) {
    const key = await crypto.subtle.importKey('raw', base64ToBytes(credentials.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return { algorithm: 'HMAC', key };
  }
  const pk = credentials.privateKey;
  if (typeof pk === 'object' && 'algorithm' in pk && 'usages' in pk) return { algorithm: 'Ed25519', key: pk };
  let pkcs8: Uint8Array;
  if (typeof pk === 'string') {
    const body = pk.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
    pkcs8 = base64ToBytes(body);
  } else if (pk instanceof Uint8Array) {
    if (pk.length !== 32) throw new TypeError('a raw Ed25519 private key is the 32-byte seed');
    pkcs8 = new Uint8Array([...ED25519_PKCS8_PREFIX, ...pk]);
  } else {
    pkcs8 = new Uint8Array(pk.export({ format: 'der', type: 'pkcs8' }));
  }
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  return { algorithm: 'Ed25519', key };
}

/**
 * Signs requests for one API key. Timestamps come from the (calibrated) server clock and strictly
 * increase, so two identical requests never share a signature and are never refused as replays.
 * Share one signer between the REST and WebSocket clients of a key.
 */
export class RequestSigner {
  readonly keyId: string;
  readonly clock: ServerClock;
  readonly #key: Promise<{ algorithm: 'HMAC' | 'Ed25519'; key: WebCryptoKey }>;
  readonly #issued = new IssuedTimestamps();

  constructor(credentials: ApiCredentials, clock: ServerClock = new ServerClock()) {
    this.keyId = credentials.keyId;
    this.clock = clock;
    this.#key = importSigningKey(credentials);
    // Reported when signing; keep an unused rejection from crashing the process meanwhile.
    this.#key.catch(() => undefined);
  }

  /** The next signing timestamp: the server-clock estimate, but always above every earlier one that may have been accepted. */
  nextTimestamp(): number {
    const now = this.clock.now();
    this.#issued.forgetOlderThan(ISSUED_MEMORY_MS);
    let floor = this.#issued.last() ?? 0;
    if (floor > now + SERVER_WINDOW_MS) {
      // The floor came from a clock since corrected. Timestamps above now + window were never
      // accepted, so they may be used again; those below it may have been, so stay above them.
      this.#issued.dropAbove(now + SERVER_WINDOW_MS);
      floor = this.#issued.last() ?? now - 1;
    }
    const timestamp = Math.max(now, floor + 1);
    this.#issued.push(timestamp);
    return timestamp;
  }

  /** base64 signature of `message` (standard alphabet, padded). */
  async sign(message: string): Promise<string> {
    const { algorithm, key } = await this.#key;
    const signature = await crypto.subtle.sign(algorithm === 'HMAC' ? 'HMAC' : { name: 'Ed25519' }, key, utf8(message));
    return bytesToBase64(new Uint8Array(signature));
  }

  async headers(method: string, pathWithQuery: string, body: Uint8Array | string, windowMs?: number): Promise<SignedHeaders> {
    const timestamp = this.nextTimestamp();
    const signature = await this.sign(await canonicalString(timestamp, method, pathWithQuery, body));
    return {
      'X-API-Key': this.keyId,
      'X-API-Timestamp': String(timestamp),
      'X-API-Signature': signature,
      ...(windowMs !== undefined && { 'X-API-Window': String(windowMs) }),
    };
  }

  /** The WebSocket login credentials: the REST canonical string of `GET /v1/ws` with an empty body. */
  async wsLogin(): Promise<WsLoginCredentials> {
    const timestamp = this.nextTimestamp();
    return { keyId: this.keyId, timestamp, signature: await this.sign(await canonicalString(timestamp, 'GET', '/v1/ws', '')) };
  }
}
