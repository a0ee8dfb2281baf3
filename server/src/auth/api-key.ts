/**
 * What an API key is: the record the stores keep and the principal a verified request yields.
 */

/** `quote`: a dealer key that may answer RFQs on the WebSocket `dealer` channel (docs/otc-rfq.md). */
export const SCOPES = ['read', 'trade', 'operator', 'quote'] as const;
export type Scope = (typeof SCOPES)[number];

export type KeyKind = 'hmac' | 'ed25519';

/** The public view of a key: everything except its secret material. */
export interface ApiKeyRecord {
  keyId: string;
  accountId: string;
  kind: KeyKind;
  label: string;
  scopes: Scope[];
  /** CIDR blocks (IPv4 or IPv6) the key may be used from; empty means any address. */
  ipAllowlist: string[];
  /** Integer ms since the epoch after which the key stops working; absent means no expiry. */
  expiresAt?: number;
  /** Set once the key is revoked; a revoked key never authenticates again. */
  revokedAt?: number;
  createdAt: number;
  /** FIX only: the SenderCompID a Logon with this key must carry (binding it claims the CompID for the account). */
  senderCompId?: string;
  /** FIX only: settings of the sessions this key logs on; unset ones take the acceptor's defaults. */
  fixSession?: FixSessionSettings;
}

/** Per-session FIX settings a client sets on its key. */
export interface FixSessionSettings {
  /** Start every Logon at sequence number 1 on both sides. */
  resetOnLogon?: boolean;
  /** Cancel the orders the session placed when its connection ends. */
  cancelOnDisconnect?: boolean;
  /** A drop-copy session: receives the account's reports from every channel, sends no orders (a read-only key may do this). */
  dropCopy?: boolean;
  /** A market-data session: market data and the security list only, no orders (a read-only key may do this). */
  marketData?: boolean;
  /** Bounds on the HeartBtInt(108) accepted at Logon, seconds, within the acceptor's 1-300. */
  minHeartBtInt?: number;
  maxHeartBtInt?: number;
}

/** The identity a successfully verified request acts as. */
export interface Principal {
  keyId: string;
  accountId: string;
  scopes: Scope[];
  /** Copied from the key so long-lived sessions (WS, FIX) can end when it passes. */
  expiresAt?: number;
  /** FIX only: the key's session settings. */
  fixSession?: FixSessionSettings;
}

/** What the caller supplies to create a key. */
export interface NewApiKey {
  accountId: string;
  kind: KeyKind;
  label: string;
  scopes: Scope[];
  ipAllowlist?: string[];
  expiresAt?: number;
  senderCompId?: string;
  fixSession?: FixSessionSettings;
  /** Ed25519 only: the client's public key, PEM (SPKI) or base64 of the raw 32 bytes. */
  publicKey?: string;
}

/** Returned once by create: for an HMAC key `secret` is the only time the secret is ever shown. */
export interface CreatedApiKey {
  record: ApiKeyRecord;
  /** base64url of 32 random bytes; present for HMAC keys only. */
  secret?: string;
}

export interface RevocationEvent {
  keyId: string;
  accountId: string;
  revokedAt: number;
}

/** True when the key can authenticate at `now`: neither revoked nor expired. */
export function isKeyActive(record: ApiKeyRecord, now: number): boolean {
  if (record.revokedAt !== undefined) return false;
  if (record.expiresAt !== undefined && now >= record.expiresAt) return false;
  return true;
}

export function principalOf(record: ApiKeyRecord): Principal {
  return {
    keyId: record.keyId,
    accountId: record.accountId,
    scopes: [...record.scopes],
    ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
    ...(record.fixSession !== undefined ? { fixSession: { ...record.fixSession } } : {}),
  };
}
