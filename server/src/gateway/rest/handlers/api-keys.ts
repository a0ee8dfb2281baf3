import { CompIdTakenError, type ApiKeyRecord, type ApiKeyStore, type FixSessionSettings, type NewApiKey, type Scope } from '../../../auth/index.js';
import { ApiError } from '../../../errors/api-error.js';
import type { OrderEntry } from '../../../order-entry/order-entry.js';
import type { HandlerMap } from '../operations.js';
import { accountOf, headerValue } from './orders.js';

export interface ApiKeyDeps {
  keys: ApiKeyStore;
  orders: OrderEntry;
}

export function toApiKey(r: ApiKeyRecord) {
  return {
    keyId: r.keyId,
    label: r.label,
    kind: r.kind,
    scopes: r.scopes,
    ipAllowlist: r.ipAllowlist,
    ...(r.expiresAt !== undefined && { expiresAt: r.expiresAt }),
    createdAt: r.createdAt,
    ...(r.revokedAt !== undefined && { revokedAt: r.revokedAt }),
    ...(r.senderCompId !== undefined && { fixSenderCompId: r.senderCompId }),
    ...(r.fixSession !== undefined && { fixSession: r.fixSession }),
  };
}

/** What a create-key request body becomes: an HMAC key unless a public key is given. */
export interface KeyRequest { label: string; scopes: string[]; dealer?: boolean; ipAllowlist?: string[]; expiresAt?: number; publicKey?: string; fixSenderCompId?: string; fixSession?: FixSessionSettings }

/** Creates a key for the account from a request body, turning the store's input errors into VALIDATION_FAILED problems. */
export async function createKey(keys: ApiKeyStore, accountId: string, body: KeyRequest) {
  const input: NewApiKey = {
    accountId,
    kind: body.publicKey !== undefined ? 'ed25519' : 'hmac',
    label: body.label,
    scopes: [...body.scopes, ...(body.dealer === true && !body.scopes.includes('quote') ? ['quote'] : [])] as Scope[],
    ...(body.ipAllowlist !== undefined && { ipAllowlist: body.ipAllowlist }),
    ...(body.expiresAt !== undefined && { expiresAt: body.expiresAt }),
    ...(body.publicKey !== undefined && { publicKey: body.publicKey }),
    ...(body.fixSenderCompId !== undefined && { senderCompId: body.fixSenderCompId }),
    ...(body.fixSession !== undefined && { fixSession: body.fixSession }),
  };
  try {
    const created = await keys.create(input);
    return { key: toApiKey(created.record), ...(created.secret !== undefined && { secret: created.secret }) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof CompIdTakenError) throw new ApiError({ status: 409, code: 'FIX_COMP_ID_TAKEN', detail: err.message });
    throw new ApiError({ status: 400, code: 'VALIDATION_FAILED', detail: (err as Error).message });
  }
}

export function apiKeyHandlers({ keys, orders }: ApiKeyDeps): Pick<HandlerMap, 'createApiKey' | 'listApiKeys' | 'revokeApiKey'> {
  return {
    createApiKey: ({ principal, body, headers }) => {
      const accountId = accountOf(principal);
      // A key never gets more power than the key that created it.
      const missing = body.scopes.filter((s) => !principal!.scopes.includes(s));
      if (missing.length > 0) throw new ApiError({ status: 403, code: 'AUTH_SCOPE_MISSING', detail: `Your key lacks the scope(s) ${missing.join(', ')}.` });
      return orders.idempotent(`apikey:${accountId}`, headerValue(headers['idempotency-key']), body, async () => ({
        status: 201 as const,
        body: await createKey(keys, accountId, body),
      }));
    },
    listApiKeys: async ({ principal }) => ({ status: 200, body: { data: (await keys.listByAccount(accountOf(principal))).map(toApiKey) } }),
    revokeApiKey: async ({ principal, path }) => {
      const accountId = accountOf(principal);
      const record = await keys.get(path.keyId);
      // Another account's key looks exactly like a missing one.
      if (!record || record.accountId !== accountId) throw new ApiError({ status: 404, code: 'NOT_FOUND', detail: 'No such key for this account.' });
      const revoked = await keys.revoke(path.keyId);
      return { status: 200, body: toApiKey(revoked ?? record) };
    },
  };
}
