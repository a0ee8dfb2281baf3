/** Accounts and keys for SDK tests, created through the service's operator API. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { TestService } from '../../helpers/service.js';

export interface Ed25519Trader {
  accountId: string;
  keyId: string;
  privateKey: KeyObject;
  privateKeyPem: string;
}

/** An account with funds and an Ed25519 key (the public half registered by the operator). */
export async function createEd25519Trader(svc: TestService, accountId: string, scopes: ('read' | 'trade')[] = ['read', 'trade']): Promise<Ed25519Trader> {
  const hmac = await svc.createTrader(accountId);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const res = await svc.asOperator('POST', `/v1/operator/accounts/${accountId}/api-keys`, {
    body: { label: 'ed25519', scopes, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
  });
  if (res.status !== 201) throw new Error(`ed25519 key: ${res.status} ${JSON.stringify(res.body)}`);
  void hmac;
  return { accountId, keyId: res.body.key.keyId, privateKey, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Limits high enough that only a test that lowers them meets them. */
export const GENEROUS_LIMITS = { keyWeightPerSecond: 100_000, ipWeightPerSecond: 100_000, ordersPerSecond: 10_000, ordersPer10Seconds: 100_000 };
