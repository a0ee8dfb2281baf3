/**
 * The one request verifier behind REST, WebSocket login and FIX Logon. Checks run in a fixed
 * order, each with its own code:
 *   1. credentials present and well-formed          AUTH_MISSING
 *   2. IP / key id not locked out                     AUTH_LOCKED_OUT
 *   3. timestamp inside the window                    AUTH_TIMESTAMP_OUT_OF_WINDOW
 *   4. key exists, active, signature matches
 *      (and for FIX, the bound SenderCompID)          AUTH_INVALID   (counts toward lockout)
 *   5. client IP in the key's allowlist               AUTH_IP_NOT_ALLOWED
 *   6. signature not seen inside the window           AUTH_REPLAYED / AUTH_UNAVAILABLE
 *   7. key has the required scope                     AUTH_SCOPE_MISSING
 * The allowlist and replay checks come after the signature so that neither reveals whether a
 * key id exists, and so forged requests cannot fill the replay cache.
 */
import { isKeyActive, principalOf, type ApiKeyRecord, type Principal, type Scope } from './api-key.js';
import { fixLogonPrehash, parseFixUtcTimestamp, restCanonicalString, wsLoginCanonicalString, type FixLogonFields } from './canonical.js';
import type { AuthErrorCode } from './errors.js';
import { allowlistMatcher } from './ip-allowlist.js';
import { decodeSignature, verifyWithMaterial, type KeyMaterial } from './key-material.js';
import type { ApiKeyStore } from './key-store.js';
import { AuthLockout } from './lockout.js';
import { MemoryReplayCache, type ReplayCache } from './replay-cache.js';

/** The default and widest accepted distance between the client's timestamp and the server clock. */
export const DEFAULT_WINDOW_MS = 5000;

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; code: AuthErrorCode; retryAfterSeconds?: number; serverTime?: number };

/** The four REST headers (or the same fields of a WebSocket login), as raw strings. */
export interface SignedCredentials {
  /** X-API-Key */
  keyId?: string | undefined;
  /** X-API-Timestamp: integer ms since the epoch, decimal digits. */
  timestamp?: string | undefined;
  /** X-API-Signature: base64 of the HMAC-SHA256 or Ed25519 signature. */
  signature?: string | undefined;
  /** X-API-Window: optional, ms; may narrow the default window, never widen it. */
  window?: string | undefined;
}

export interface RestRequestToVerify {
  credentials: SignedCredentials;
  method: string;
  /** The request target exactly as received: path plus `?query`. */
  pathWithQuery: string;
  /** Raw body bytes; empty or undefined for none. */
  body?: Uint8Array | string | undefined;
  ip: string;
  requiredScope?: Scope | undefined;
}

export interface WsLoginToVerify {
  credentials: SignedCredentials;
  ip: string;
  requiredScope?: Scope | undefined;
}

export interface FixLogonToVerify {
  /** The key id (e.g. from Username(553)). */
  keyId?: string | undefined;
  /** base64 signature of the Logon prehash (e.g. from Password(554) or RawData(96)). */
  signature?: string | undefined;
  fields: FixLogonFields;
  ip: string;
  requiredScope?: Scope | undefined;
}

export interface VerifierOptions {
  store: ApiKeyStore;
  /** Default: a bounded MemoryReplayCache. Pass a SqliteReplayCache to survive restarts. */
  replayCache?: ReplayCache;
  /** Default: an AuthLockout with in-memory counters and the default policies. */
  lockout?: AuthLockout;
  /** Server clock, integer ms. */
  now?: () => number;
  /** Default and maximum window in ms (default 5000). */
  windowMs?: number;
  /** Told about store failures (which refuse the request with AUTH_UNAVAILABLE), e.g. to log them. */
  onError?: (error: unknown) => void;
  /** Told the code of every refused authentication (metrics). */
  onFailure?: (code: AuthErrorCode) => void;
}

interface NormalisedAttempt {
  keyId: string;
  timestampMs: number;
  windowMs: number;
  signatureBytes: Buffer;
  message: string;
  ip: string;
  requiredScope: Scope | undefined;
  senderCompId?: string;
}

/** Verification material for unknown or inactive keys, so their failure costs the same work. */
const DECOY_MATERIAL: KeyMaterial = { kind: 'hmac', secret: Buffer.alloc(32, 0x5a) };

const TIMESTAMP_PATTERN = /^\d{1,16}$/;
const WINDOW_PATTERN = /^\d{1,9}$/;
const MAX_KEY_ID_LENGTH = 128;

export class RequestVerifier {
  readonly #store: ApiKeyStore;
  readonly #replay: ReplayCache;
  readonly #lockout: AuthLockout;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #onFailure: ((code: AuthErrorCode) => void) | undefined;

  constructor(options: VerifierOptions) {
    this.#store = options.store;
    this.#replay = options.replayCache ?? new MemoryReplayCache();
    this.#lockout = options.lockout ?? new AuthLockout();
    this.#now = options.now ?? Date.now;
    this.#windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#onError = options.onError ?? (() => {});
    this.#onFailure = options.onFailure;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /** Verifies a signed REST request (see restCanonicalString). */
  async verifyRest(request: RestRequestToVerify): Promise<AuthResult> {
    return this.#counted(await this.#verifyRest(request));
  }

  async verifyWsLogin(login: WsLoginToVerify): Promise<AuthResult> {
    return this.#counted(await this.#verifyWsLogin(login));
  }

  async verifyFixLogon(logon: FixLogonToVerify): Promise<AuthResult> {
    return this.#counted(await this.#verifyFixLogon(logon));
  }

  #counted(result: AuthResult): AuthResult {
    if (!result.ok) this.#onFailure?.(result.code);
    return result;
  }

  async #verifyRest(request: RestRequestToVerify): Promise<AuthResult> {
    const parsed = this.#parseSigned(request.credentials);
    if (!parsed) return { ok: false, code: 'AUTH_MISSING' };
    const message = restCanonicalString(parsed.timestamp, request.method, request.pathWithQuery, request.body ?? '');
    return this.#verify({ ...parsed, message, ip: request.ip, requiredScope: request.requiredScope });
  }

  /** Verifies a WebSocket login: the REST canonical string for `GET /v1/ws` with an empty body. */
  async #verifyWsLogin(login: WsLoginToVerify): Promise<AuthResult> {
    const parsed = this.#parseSigned(login.credentials);
    if (!parsed) return { ok: false, code: 'AUTH_MISSING' };
    return this.#verify({ ...parsed, message: wsLoginCanonicalString(parsed.timestamp), ip: login.ip, requiredScope: login.requiredScope });
  }

  /** Verifies a FIX Logon: the signature covers fixLogonPrehash; SendingTime is the timestamp. */
  async #verifyFixLogon(logon: FixLogonToVerify): Promise<AuthResult> {
    const timestampMs = parseFixUtcTimestamp(logon.fields.sendingTime);
    const signatureBytes = decodeSignature(logon.signature ?? '');
    if (!validKeyId(logon.keyId) || timestampMs === undefined || !signatureBytes || !logon.fields.senderCompId) {
      return { ok: false, code: 'AUTH_MISSING' };
    }
    return this.#verify({
      keyId: logon.keyId,
      timestampMs,
      windowMs: this.#windowMs,
      signatureBytes,
      message: fixLogonPrehash(logon.fields),
      ip: logon.ip,
      requiredScope: logon.requiredScope,
      senderCompId: logon.fields.senderCompId,
    });
  }

  #parseSigned(c: SignedCredentials) {
    if (!validKeyId(c.keyId) || c.timestamp === undefined || c.signature === undefined) return undefined;
    if (!TIMESTAMP_PATTERN.test(c.timestamp)) return undefined;
    const signatureBytes = decodeSignature(c.signature);
    if (!signatureBytes) return undefined;
    let windowMs = this.#windowMs;
    if (c.window !== undefined) {
      if (!WINDOW_PATTERN.test(c.window) || Number(c.window) === 0) return undefined;
      // A client may only narrow the window; a wider value is ignored.
      windowMs = Math.min(Number(c.window), this.#windowMs);
    }
    return { keyId: c.keyId, timestamp: c.timestamp, timestampMs: Number(c.timestamp), windowMs, signatureBytes };
  }

  async #verify(a: NormalisedAttempt): Promise<AuthResult> {
    try {
      return await this.#verifyChecked(a);
    } catch (error) {
      // A failing store (keys, replay or lockout counters) refuses the request rather than admit it.
      this.#onError(error);
      return { ok: false, code: 'AUTH_UNAVAILABLE' };
    }
  }

  #mayUseCompId(record: ApiKeyRecord, senderCompId: string): Promise<boolean> {
    return mayUseCompId(this.#store, record, senderCompId);
  }

  async #verifyChecked(a: NormalisedAttempt): Promise<AuthResult> {
    const lock = await this.#lockout.check(a.ip, a.keyId);
    if (lock.locked) return { ok: false, code: 'AUTH_LOCKED_OUT', retryAfterSeconds: lock.retryAfterSeconds };

    const now = this.#now();
    if (Math.abs(now - a.timestampMs) > a.windowMs) return { ok: false, code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW', serverTime: now };

    const found = await this.#store.getForVerification(a.keyId);
    const usable = found && isKeyActive(found.record, now) ? found : undefined;
    const signatureOk = verifyWithMaterial(usable?.material ?? DECOY_MATERIAL, a.message, a.signatureBytes);
    const compIdOk = a.senderCompId === undefined || (usable !== undefined && (await this.#mayUseCompId(usable.record, a.senderCompId)));
    if (!usable || !signatureOk || !compIdOk) {
      await this.#lockout.recordFailure(a.ip, a.keyId);
      return { ok: false, code: 'AUTH_INVALID' };
    }
    const record = usable.record;

    if (!allowlistMatcher(record.ipAllowlist)(a.ip)) return { ok: false, code: 'AUTH_IP_NOT_ALLOWED' };

    // Remember until the timestamp fails even the default window: the narrowing header is not
    // signed, so a replay without it must still be caught.
    // Keyed by the signature bytes in one canonical encoding: re-encoding the same signature
    // (base64url, other padding) must not make a replay look new.
    const replayId = a.signatureBytes.toString('base64');
    const verdict = await this.#replay.remember(record.keyId, replayId, a.timestampMs + this.#windowMs + 1, now);
    if (verdict === 'replayed') return { ok: false, code: 'AUTH_REPLAYED' };
    if (verdict === 'full') return { ok: false, code: 'AUTH_UNAVAILABLE' };

    if (a.requiredScope !== undefined && !record.scopes.includes(a.requiredScope)) return { ok: false, code: 'AUTH_SCOPE_MISSING' };

    if (lock.keyFailures > 0) await this.#lockout.recordSuccess(record.keyId);
    return { ok: true, principal: principalOf(record) };
  }
}

/**
 * A FIX SenderCompID belongs to one account. A key bound to a CompID logs on with that CompID
 * only; a key without a binding only with a CompID its own account owns. Either failure is the
 * plain AUTH_INVALID of a bad signature, so a refusal never tells whether the CompID exists.
 */
async function mayUseCompId(store: ApiKeyStore, record: ApiKeyRecord, senderCompId: string): Promise<boolean> {
  if (record.senderCompId !== undefined) return record.senderCompId === senderCompId;
  return (await store.compIdOwner(senderCompId)) === record.accountId;
}

function validKeyId(keyId: string | undefined): keyId is string {
  return keyId !== undefined && keyId.length > 0 && keyId.length <= MAX_KEY_ID_LENGTH;
}
