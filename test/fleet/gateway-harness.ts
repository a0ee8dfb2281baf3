/**
 * Gateway processes of distributed mode for tests: in-process (`startTestGateway`, on the same
 * code as `fleet/gateway-main.ts`) against a test's own NATS, Redis and PostgreSQL. Every gateway
 * of one fleet shares the secrets key (API secrets are sealed with it in PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../server/src/config/load.js';
import { DEFAULT_CONFIG, type Config } from '../../server/src/config/schema.js';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../server/src/fleet/gateway.js';
import { createLogger } from '../../server/src/observability/logger.js';
import { signedFetch, type HmacCredentials } from '../helpers/signing.js';

export interface FleetStores {
  natsUrl: string;
  redisUrl: string;
  databaseUrl: string;
  /** One per fleet: API secrets in PostgreSQL are sealed with it. */
  secretsKey: string;
}

export const newSecretsKey = (): string => randomBytes(32).toString('hex');

/** The environment a gateway-main process of this fleet starts with. */
export function gatewayEnv(stores: FleetStores, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    STORES: 'external', NATS_URL: stores.natsUrl, REDIS_URL: stores.redisUrl, DATABASE_URL: stores.databaseUrl, SECRETS_KEY: stores.secretsKey,
    DATA_DIR: dataDir, PORT: '0', FIX_PORT: '0', FLEET_DEMO_BOT: 'false', LOG_LEVEL: 'info', ...extra,
  };
}

export interface TestGateway extends RunningGateway {
  baseUrl: string;
  stop(): Promise<void>;
}

export async function startTestGateway(stores: FleetStores, options: Omit<GatewayOptions, 'config' | 'logger'> & { config?: Partial<Config> } = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-'));
  const { config: overrides, ...rest } = options;
  const config = validateConfig({
    ...structuredClone(DEFAULT_CONFIG), ...overrides, dataDir, stores: 'external', redisUrl: stores.redisUrl, databaseUrl: stores.databaseUrl, secretsKey: stores.secretsKey,
    http: { ...DEFAULT_CONFIG.http, port: 0 }, fix: { ...DEFAULT_CONFIG.fix, port: 0, ...overrides?.fix },
    fleet: { ...DEFAULT_CONFIG.fleet, natsUrl: stores.natsUrl, demoBot: false },
  });
  const gateway = await startGateway({ config, logger: createLogger('silent'), validateResponses: true, demoBot: false, ...rest });
  return {
    ...gateway,
    baseUrl: `http://127.0.0.1:${gateway.httpPort}`,
    stop: async () => {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a funded account with a trading key through a gateway's operator API. */
export async function createTrader(gateway: { baseUrl: string; operator: HmacCredentials }, accountId: string, extra: Record<string, unknown> = {}): Promise<HmacCredentials & { accountId: string }> {
  const asOperator = (method: string, path: string, body?: unknown) =>
    signedFetch(gateway.baseUrl, { keyId: gateway.operator.keyId, secret: gateway.operator.secret }, method, path, body === undefined ? {} : { body });
  const created = await asOperator('POST', '/v1/operator/accounts', { accountId });
  if (created.status !== 201) throw new Error(`create account: ${created.status} ${JSON.stringify(created.body)}`);
  for (const [asset, amount] of Object.entries({ USD: '1000000', BTC: '100' })) {
    const r = await asOperator('POST', `/v1/operator/accounts/${accountId}/deposits`, { asset, amount });
    if (r.status !== 200) throw new Error(`deposit: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const key = await asOperator('POST', `/v1/operator/accounts/${accountId}/api-keys`, { label: 'test', scopes: ['read', 'trade'], ...extra });
  if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.body)}`);
  return { accountId, keyId: key.body.key.keyId, secret: key.body.secret };
}
