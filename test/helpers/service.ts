/**
 * Starts a whole service in-process on an ephemeral port, with response validation on, on the
 * stores TEST_STORES names (test-stores.ts) unless the test sets `stores` itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../server/src/config/load.js';
import { DEFAULT_CONFIG, type Config } from '../../server/src/config/schema.js';
import { createLogger } from '../../server/src/observability/logger.js';
import { startService, type RunningService, type ServiceOptions } from '../../server/src/service.js';
import { signedFetch, type HmacCredentials, type SignedRequestOptions } from './signing.js';
import { externalStoresFor } from './test-stores.js';

export interface TestService extends RunningService {
  baseUrl: string;
  dataDir: string;
  /** A signed request as the operator. */
  asOperator(method: string, path: string, opts?: SignedRequestOptions): ReturnType<typeof signedFetch>;
  /** Creates a funded account and an HMAC key with the given scopes. */
  createTrader(accountId: string, funds?: Record<string, string>, scopes?: ('read' | 'trade')[], extra?: Record<string, unknown>): Promise<HmacCredentials & { accountId: string }>;
  stop(): Promise<void>;
}

export async function startTestService(overrides: Partial<Omit<ServiceOptions, 'config'>> & { config?: Partial<Config>; dataDir?: string } = {}): Promise<TestService> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'svc-'));
  const stores = overrides.config?.stores === undefined ? externalStoresFor(dataDir) : undefined;
  const config = validateConfig({ ...structuredClone(DEFAULT_CONFIG), ...stores, ...overrides.config, dataDir, http: { ...DEFAULT_CONFIG.http, port: 0, ...overrides.config?.http }, fix: { ...DEFAULT_CONFIG.fix, port: 0, ...overrides.config?.fix } });
  const { config: _c, dataDir: _d, ...rest } = overrides;
  const service = await startService({ config, logger: createLogger('silent'), validateResponses: true, demoBot: false, ...rest });
  const baseUrl = `http://127.0.0.1:${service.httpPort}`;
  const operator = { keyId: service.operator.keyId, secret: service.operator.secret };
  const asOperator = (method: string, path: string, opts?: SignedRequestOptions) => signedFetch(baseUrl, operator, method, path, opts);
  return {
    ...service,
    baseUrl,
    dataDir,
    asOperator,
    createTrader: async (accountId, funds = { USD: '1000000', BTC: '100', ETH: '1000' }, scopes = ['read', 'trade'], extra = {}) => {
      const created = await asOperator('POST', '/v1/operator/accounts', { body: { accountId } });
      if (created.status !== 201) throw new Error(`create account: ${created.status} ${JSON.stringify(created.body)}`);
      for (const [asset, amount] of Object.entries(funds)) {
        const r = await asOperator('POST', `/v1/operator/accounts/${accountId}/deposits`, { body: { asset, amount } });
        if (r.status !== 200) throw new Error(`deposit: ${r.status} ${JSON.stringify(r.body)}`);
      }
      const key = await asOperator('POST', `/v1/operator/accounts/${accountId}/api-keys`, { body: { label: 'test', scopes, ...extra } });
      if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.body)}`);
      return { accountId, keyId: key.body.key.keyId, secret: key.body.secret };
    },
    stop: async () => {
      await service.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
