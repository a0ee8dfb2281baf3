/**
 * A real WebSocket gateway for tests: a trading core behind the in-memory command bus, the
 * shared auth, limits and order entry, an HTTP server on an ephemeral port, and the gateway.
 */
import { Registry } from 'prom-client';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { AuthLockout, MemoryApiKeyStore, RequestVerifier, type Scope } from '../../../server/src/auth/index.js';
import { DEFAULT_ASSETS, DEFAULT_INSTRUMENTS } from '../../../server/src/config/defaults.js';
import type { Command } from '../../../server/src/core/api.js';
import { createCore } from '../../../server/src/core/index.js';
import { attachWsGateway, type WsConfig, type WsGateway } from '../../../server/src/gateway/ws/index.js';
import { OrderRateLimiter, RequestRateLimiter, type RateLimitPolicy } from '../../../server/src/limits/index.js';
import { OrderEntry } from '../../../server/src/order-entry/order-entry.js';
import type { CommandBus } from '../../../server/src/sequencer/api.js';
import { createInMemorySequencer } from '../../../server/src/sequencer/in-memory.js';
import { MemoryIdempotencyStore } from '../../../server/src/storage/idempotency-store.js';
import type { HmacCredentials } from '../../helpers/signing.js';

export interface Trader extends HmacCredentials { accountId: string }

export interface HarnessOptions {
  config?: Partial<WsConfig>;
  /** Request-weight policies (default: generous, so limits only matter where a test sets them). */
  requestPolicies?: RateLimitPolicy[];
  orderPolicies?: RateLimitPolicy[];
  /** Default: a lockout that never triggers. */
  lockout?: AuthLockout;
  /**
   * The clock of the gateway and of the request and order-rate limiters (default Date.now), so a
   * test decides when a budget refills or a refusal window ends, however slowly the machine runs.
   */
  clock?: () => number;
  /** The gateway's monotonic clock (default performance.now): the ping sweep decides on it when a ping is due or unanswered. */
  monotonicClock?: () => number;
}

export interface Harness {
  url: string;
  bus: CommandBus;
  keys: MemoryApiKeyStore;
  gateway: WsGateway;
  server: Server;
  /** The Prometheus exposition of the gateway's metrics (what /metrics shows of them). */
  metricsText(): Promise<string>;
  /** Submits an admin or trading command directly, failing the test on a rejection. */
  submit(command: Command): Promise<void>;
  /** An account with funds and an HMAC key. */
  trader(accountId: string, scopes?: Scope[], funds?: Record<string, string>, key?: { expiresAt?: number }): Promise<Trader>;
  close(): Promise<void>;
}

const generous = (name: string, scope: 'key' | 'ip' | 'account'): RateLimitPolicy => ({ name, scope, quota: 1_000_000, windowSeconds: 1, description: 'test' });

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const core = createCore();
  const logger = pino({ level: 'silent' });
  const bus = createInMemorySequencer(core, undefined, logger);
  const keys = new MemoryApiKeyStore();
  const lockout = options.lockout ?? new AuthLockout({
    ip: { maxFailures: 1_000_000, failureWindowSeconds: 60, baseLockoutSeconds: 1, maxLockoutSeconds: 1, levelMemorySeconds: 60 },
    key: { maxFailures: 1_000_000, failureWindowSeconds: 60, baseLockoutSeconds: 1, maxLockoutSeconds: 1, levelMemorySeconds: 60 },
  });
  const verifier = new RequestVerifier({ store: keys, lockout });
  const now = options.clock;
  const requests = new RequestRateLimiter({ policies: options.requestPolicies ?? [generous('key', 'key'), generous('ip', 'ip')], now });
  const orderLimiter = new OrderRateLimiter({ policies: options.orderPolicies ?? [generous('orders-1s', 'account')], now });
  const orders = new OrderEntry({ bus, history: undefined, orderLimiter, idempotency: new MemoryIdempotencyStore(), clock: Date.now });

  const submit = async (command: Command) => {
    const result = await bus.submit(command);
    if (!result.ok) throw new Error(`${command.type} rejected: ${result.code} ${result.message}`);
  };
  for (const spec of DEFAULT_ASSETS) await submit({ type: 'AddAsset', spec });
  for (const spec of DEFAULT_INSTRUMENTS) await submit({ type: 'AddInstrument', spec });

  const server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const registry = new Registry();
  const gateway = attachWsGateway({ server, bus, verifier, keys, limits: { requests }, orders, logger, config: options.config, registry, ...(now ? { clock: now } : {}), monotonicClock: options.monotonicClock });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `ws://127.0.0.1:${port}/v1/ws`,
    bus,
    keys,
    gateway,
    server,
    metricsText: () => registry.metrics(),
    submit,
    async trader(accountId, scopes = ['read', 'trade'], funds = { USD: '10000000', BTC: '1000', ETH: '1000' }, key = {}) {
      await submit({ type: 'CreateAccount', accountId });
      for (const [asset, amount] of Object.entries(funds)) await submit({ type: 'Deposit', accountId, asset, amount });
      const created = await keys.create({ accountId, kind: 'hmac', label: 'test', scopes, ...key });
      return { accountId, keyId: created.record.keyId, secret: created.secret! };
    },
    async close() {
      await gateway.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
