/**
 * Demo self-service: anyone who can reach a demo market may create a funded sandbox account
 * and a trading key of their own (`POST /v1/demo/accounts`), so integrators sharing one demo do
 * not share an account. Bounded per client IP, in memory: a restart forgets the counts, which
 * is harmless on a demo.
 */
import { randomBytes } from 'node:crypto';
import type { ApiKeyStore } from '../auth/index.js';
import { ApiError } from '../errors/api-error.js';
import { submitCommand } from '../order-entry/submit.js';
import type { CommandBus } from '../sequencer/api.js';

export const DEMO_SIGNUP_FUNDS: Readonly<Record<string, string>> = { BTC: '2', ETH: '20', USD: '100000' };

export interface DemoSignupPolicy {
  /** Accounts one client IP may create per window. */
  perIp: number;
  windowMs: number;
}

export const DEFAULT_DEMO_SIGNUP_POLICY: DemoSignupPolicy = { perIp: 5, windowMs: 60 * 60 * 1000 };

export interface DemoAccountCreated {
  accountId: string;
  keyId: string;
  secret: string;
  scopes: ('read' | 'trade')[];
  balances: { asset: string; amount: string }[];
}

/** Per-IP creation times inside the window: a sliding log, pruned as it is read. */
export class DemoSignupLimiter {
  readonly #byIp = new Map<string, number[]>();
  constructor(private readonly policy: DemoSignupPolicy, private readonly clock: () => number) {}

  /** Counts one creation for `ip`, or throws RATE_LIMITED with the seconds until the oldest expires. */
  take(ip: string): void {
    const now = this.clock();
    const recent = (this.#byIp.get(ip) ?? []).filter((t) => t > now - this.policy.windowMs);
    if (recent.length >= this.policy.perIp) {
      const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]! + this.policy.windowMs - now) / 1000));
      this.#byIp.set(ip, recent);
      throw new ApiError({
        status: 429,
        code: 'RATE_LIMITED',
        detail: `At most ${this.policy.perIp} demo accounts per client address per ${Math.round(this.policy.windowMs / 60_000)} minutes; retry after ${retryAfterSeconds} s.`,
        headers: { 'Retry-After': String(retryAfterSeconds) },
        extra: { retryAfterSeconds },
      });
    }
    recent.push(now);
    this.#byIp.set(ip, recent);
    // Forget addresses whose window has emptied, so the map stays as small as the recent traffic.
    if (this.#byIp.size > 10_000) for (const [k, v] of this.#byIp) if (v.every((t) => t <= now - this.policy.windowMs)) this.#byIp.delete(k);
  }
}

export interface DemoSelfServiceDeps {
  bus: CommandBus;
  keys: ApiKeyStore;
  limiter: DemoSignupLimiter;
}

/** Creates the account (CreateAccount, one Deposit per funded asset the market lists) and its key. */
export async function createDemoAccount(deps: DemoSelfServiceDeps, ip: string): Promise<DemoAccountCreated> {
  deps.limiter.take(ip);
  let accountId: string;
  do accountId = `demo-${randomBytes(4).toString('hex')}`;
  while (deps.bus.core.account(accountId));
  await submitCommand(deps.bus, { type: 'CreateAccount', accountId });
  const listed = new Set(deps.bus.core.assets().map((a) => a.asset));
  const balances: DemoAccountCreated['balances'] = [];
  for (const [asset, amount] of Object.entries(DEMO_SIGNUP_FUNDS)) {
    if (!listed.has(asset)) continue;
    await submitCommand(deps.bus, { type: 'Deposit', accountId, asset, amount });
    balances.push({ asset, amount });
  }
  const scopes: ('read' | 'trade')[] = ['read', 'trade'];
  const created = await deps.keys.create({ accountId, kind: 'hmac', label: 'demo self-service', scopes });
  return { accountId, keyId: created.record.keyId, secret: created.secret!, scopes, balances };
}
