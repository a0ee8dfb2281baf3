/**
 * The demo trading account: funded on first start, with an API key whose id and secret are
 * printed and written to `<dataDir>/demo-credentials.json`.
 */
import { join } from 'node:path';
import type { ApiKeyStore } from '../auth/index.js';
import { ensureAccount, ensureAccountWithKey, type Credentials } from '../bootstrap.js';
import { submitCommand } from '../order-entry/submit.js';
import type { CommandBus } from '../sequencer/api.js';

export const DEMO_ACCOUNT = 'demo';
const DEMO_FUNDS: Record<string, string> = { USD: '1000000', BTC: '10', ETH: '100' };

export async function ensureDemoAccount(bus: CommandBus, keys: ApiKeyStore, dataDir: string): Promise<Credentials & { file: string }> {
  // Funded once, by whichever process created the account (several gateways may start together).
  const isNew = await ensureAccount(bus, DEMO_ACCOUNT);
  const file = join(dataDir, 'demo-credentials.json');
  const creds = await ensureAccountWithKey(bus, keys, file, DEMO_ACCOUNT, ['read', 'trade'], 'demo trading key');
  if (isNew) {
    for (const [asset, amount] of Object.entries(DEMO_FUNDS)) {
      if (bus.core.assets().some((a) => a.asset === asset)) await submitCommand(bus, { type: 'Deposit', accountId: DEMO_ACCOUNT, asset, amount });
    }
  }
  return { ...creds, file };
}
