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
import type { Command, RejectCode } from './core/api.js';
import { ApiError } from './errors/api-error.js';

export const OPERATOR_ACCOUNT = 'operator';

/** The secrets key from config, or (demo mode) the one generated into the data directory. */
export function resolveSecretsKey(config: Config): string {
  if (config.secretsKey !== undefined) return config.secretsKey;
  const file = join(config.dataDir, 'secrets.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * Submits a set-up command; false when the core already had what it sets up (`exists`). Several
 * gateway processes may start at once against one core (distributed mode): the core decides
 * which of them creates it, exactly once.
 */
async function submitUnlessExists(bus: CommandBus, command: Command, exists: RejectCode): Promise<boolean> {
  try {
    await submitCommand(bus, command);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === exists) return false;
    throw err;
  }
}

/** Adds configured assets and instruments the core does not have yet. */
export async function listConfiguredMarkets(bus: CommandBus, config: Config): Promise<void> {
  const assets = new Set(bus.core.assets().map((a) => a.asset));
  for (const spec of config.assets) if (!assets.has(spec.asset)) await submitUnlessExists(bus, { type: 'AddAsset', spec }, 'ASSET_EXISTS');
  const symbols = new Set(bus.core.instruments().map((i) => i.symbol));
  for (const spec of config.instruments) if (!symbols.has(spec.symbol)) await submitUnlessExists(bus, { type: 'AddInstrument', spec }, 'SYMBOL_EXISTS');
}

export interface Credentials { accountId: string; keyId: string; secret: string }

/** Creates the account unless the core has it; true when this call created it. */
export async function ensureAccount(bus: CommandBus, accountId: string): Promise<boolean> {
  if (bus.core.account(accountId)) return false;
  return submitUnlessExists(bus, { type: 'CreateAccount', accountId }, 'ACCOUNT_EXISTS');
}

/**
 * Makes sure an account exists with a key described by `file`; creates both the first time and
 * writes the credentials file. Returns the credentials (read back on later starts).
 */
export async function ensureAccountWithKey(
  bus: CommandBus, keys: ApiKeyStore, file: string, accountId: string, scopes: ('read' | 'trade' | 'operator')[], label: string,
): Promise<Credentials> {
  await ensureAccount(bus, accountId);
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
