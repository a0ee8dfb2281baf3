/**
 * First-start set-up, idempotent on every start: lists the configured assets and instruments
 * in the core, creates the operator account and its key, and makes the secrets key. Credentials
 * are written to files in the data directory (mode 0600), never to the log.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKeyStore } from './auth/index.js';
import type { Config } from './config/schema.js';
import { submitCommand } from './order-entry/submit.js';
import type { CommandBus } from './sequencer/api.js';

export const OPERATOR_ACCOUNT = 'operator';

/** The secrets key from config, or (demo mode) the one generated into the data directory. */
export function resolveSecretsKey(config: Config): string {
  if (config.secretsKey !== undefined) return config.secretsKey;
  const file = join(config.dataDir, 'secrets.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Adds configured assets and instruments the core does not have yet. */
export async function listConfiguredMarkets(bus: CommandBus, config: Config): Promise<void> {
  const assets = new Set(bus.core.assets().map((a) => a.asset));
  for (const spec of config.assets) if (!assets.has(spec.asset)) await submitCommand(bus, { type: 'AddAsset', spec });
  const symbols = new Set(bus.core.instruments().map((i) => i.symbol));
  for (const spec of config.instruments) if (!symbols.has(spec.symbol)) await submitCommand(bus, { type: 'AddInstrument', spec });
}

export interface Credentials { accountId: string; keyId: string; secret: string }

/**
 * Makes sure an account exists with a key described by `file`; creates both the first time and
 * writes the credentials file. Returns the credentials (read back on later starts).
 */
export async function ensureAccountWithKey(
  bus: CommandBus, keys: ApiKeyStore, file: string, accountId: string, scopes: ('read' | 'trade' | 'operator')[], label: string,
): Promise<Credentials> {
  if (!bus.core.account(accountId)) await submitCommand(bus, { type: 'CreateAccount', accountId });
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Credentials;
    const record = await keys.get(saved.keyId);
    if (record && record.revokedAt === undefined) return saved;
  }
  const created = await keys.create({ accountId, kind: 'hmac', label, scopes });
  const credentials = { accountId, keyId: created.record.keyId, secret: created.secret! };
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}
