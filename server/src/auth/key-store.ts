/**
 * The API key store contract, and what both implementations (memory, SQLite) share: input
 * validation, key id and secret generation, sealing of key material, and revocation listeners.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { SCOPES, type ApiKeyRecord, type CreatedApiKey, type NewApiKey, type RevocationEvent } from './api-key.js';
import { ed25519PublicKeyFromRaw, generateHmacSecret, parseEd25519PublicKey, rawEd25519PublicKey, type KeyMaterial } from './key-material.js';
import { parseCidr } from './ip-allowlist.js';
import type { SecretBox } from './secret-box.js';

export interface KeyWithMaterial {
  record: ApiKeyRecord;
  material: KeyMaterial;
}

export interface ApiKeyStore {
  /** Creates a key; for an HMAC key the returned `secret` is the only time it is revealed. */
  create(input: NewApiKey): Promise<CreatedApiKey>;
  /** The public record (revoked and expired keys included), or undefined. */
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** The record and its verification material; used only by the verifier. */
  getForVerification(keyId: string): Promise<KeyWithMaterial | undefined>;
  listByAccount(accountId: string): Promise<ApiKeyRecord[]>;
  /**
   * Revokes a key at once and notifies `onRevoked` listeners. Returns the revoked record, or
   * undefined if the key does not exist. Revoking an already revoked key changes nothing and
   * does not notify again.
   */
  revoke(keyId: string, revokedAt?: number): Promise<ApiKeyRecord | undefined>;
  /** Subscribes to revocations (WS and FIX close the key's live sessions); returns unsubscribe. */
  onRevoked(listener: (event: RevocationEvent) => void): () => void;
  /**
   * The account that owns a FIX SenderCompID: the account of any key ever bound to it, revoked
   * and expired keys included, so the CompID stays its owner's after its keys are gone.
   */
  compIdOwner(senderCompId: string): Promise<string | undefined>;
}

export interface KeyStoreOptions {
  /** Clock for createdAt / revokedAt defaults; integer ms. */
  now?: () => number;
  /** Receives errors thrown by revocation listeners (the other listeners still run). */
  onListenerError?: (error: unknown) => void;
}

const MAX_LABEL = 200;
const MAX_ALLOWLIST = 100;

/** A new key id: `ak_` plus 16 random bytes in base64url. Ids are not secret. */
export function newKeyId(): string {
  return `ak_${randomBytes(16).toString('base64url')}`;
}

/** The create input is invalid (a client error, as opposed to a store failure). */
export class ApiKeyInputError extends Error {
  override readonly name = 'ApiKeyInputError';
}

/** The SenderCompID to bind is owned by another account (create refuses it; nothing is stored). */
export class CompIdTakenError extends Error {
  override readonly name = 'CompIdTakenError';
  constructor(readonly senderCompId: string) {
    super(`The FIX SenderCompID "${senderCompId}" belongs to another account.`);
  }
}

/** HeartBtInt bounds every session keeps to (seconds). */
export const HEARTBTINT_RANGE = { min: 1, max: 300 } as const;

/** Validates the create input; throws an Error naming the first problem. */
export function validateNewKey(input: NewApiKey): void {
  if (!input.accountId) throw new Error('accountId is required');
  if (input.kind !== 'hmac' && input.kind !== 'ed25519') throw new Error(`unknown key kind: ${String(input.kind)}`);
  if (typeof input.label !== 'string' || input.label.length > MAX_LABEL) throw new Error(`label must be a string of at most ${MAX_LABEL} characters`);
  if (!Array.isArray(input.scopes) || input.scopes.length === 0) throw new Error('at least one scope is required');
  for (const scope of input.scopes) if (!(SCOPES as readonly string[]).includes(scope)) throw new Error(`unknown scope: ${scope}`);
  const allowlist = input.ipAllowlist ?? [];
  if (allowlist.length > MAX_ALLOWLIST) throw new Error(`at most ${MAX_ALLOWLIST} allowlist entries`);
  for (const cidr of allowlist) parseCidr(cidr);
  if (input.expiresAt !== undefined && !Number.isSafeInteger(input.expiresAt)) throw new Error('expiresAt must be integer ms');
  if (input.senderCompId !== undefined && !/^[\x21-\x7e]{1,64}$/.test(input.senderCompId)) throw new Error('senderCompId must be 1-64 printable ASCII characters');
  const fix = input.fixSession;
  if (fix !== undefined) {
    for (const b of ['minHeartBtInt', 'maxHeartBtInt'] as const) {
      const v = fix[b];
      if (v !== undefined && (!Number.isInteger(v) || v < HEARTBTINT_RANGE.min || v > HEARTBTINT_RANGE.max)) throw new Error(`${b} must be an integer from ${HEARTBTINT_RANGE.min} to ${HEARTBTINT_RANGE.max}`);
    }
    if (fix.minHeartBtInt !== undefined && fix.maxHeartBtInt !== undefined && fix.minHeartBtInt > fix.maxHeartBtInt) throw new Error('minHeartBtInt must not exceed maxHeartBtInt');
  }
  if (input.kind === 'hmac' && input.publicKey !== undefined) throw new Error('an HMAC key takes no public key');
  if (input.kind === 'ed25519' && input.publicKey === undefined) throw new Error('an Ed25519 key needs the client public key');
}

/** A validated new key: its record, the sealed material to persist, and the one-time secret. */
export interface PreparedKey {
  record: ApiKeyRecord;
  /** HMAC: the secret sealed with the SecretBox. Ed25519: the raw public key (not secret). */
  storedMaterial: Buffer;
  secret?: string;
}

/** Throws ApiKeyInputError for invalid input. */
export function prepareNewKey(input: NewApiKey, box: SecretBox, now: number): PreparedKey {
  let publicKey: KeyObject | undefined;
  try {
    validateNewKey(input);
    if (input.kind === 'ed25519') publicKey = parseEd25519PublicKey(input.publicKey ?? '');
  } catch (error) {
    throw new ApiKeyInputError(error instanceof Error ? error.message : String(error));
  }
  const keyId = newKeyId();
  const record: ApiKeyRecord = {
    keyId,
    accountId: input.accountId,
    kind: input.kind,
    label: input.label,
    scopes: [...new Set(input.scopes)],
    ipAllowlist: [...(input.ipAllowlist ?? [])],
    createdAt: now,
    ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
    ...(input.senderCompId !== undefined ? { senderCompId: input.senderCompId } : {}),
    ...(input.fixSession !== undefined ? { fixSession: { ...input.fixSession } } : {}),
  };
  if (!publicKey) {
    const secret = generateHmacSecret();
    return { record, storedMaterial: box.seal(secret, keyId), secret: secret.toString('base64url') };
  }
  return { record, storedMaterial: rawEd25519PublicKey(publicKey) };
}

/** Turns persisted material back into verification material. */
export function openMaterial(record: ApiKeyRecord, storedMaterial: Uint8Array, box: SecretBox): KeyMaterial {
  if (record.kind === 'hmac') return { kind: 'hmac', secret: box.open(storedMaterial, record.keyId) };
  return { kind: 'ed25519', publicKey: ed25519PublicKeyFromRaw(storedMaterial) };
}

export function toCreated(prepared: PreparedKey): CreatedApiKey {
  return { record: prepared.record, ...(prepared.secret !== undefined ? { secret: prepared.secret } : {}) };
}

/** Fan-out of revocation events; a failing listener does not stop the others. */
export class RevocationListeners {
  readonly #listeners = new Set<(event: RevocationEvent) => void>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void = (error) => process.emitWarning(`revocation listener failed: ${String(error)}`)) {
    this.#onError = onError;
  }

  add(listener: (event: RevocationEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: RevocationEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
