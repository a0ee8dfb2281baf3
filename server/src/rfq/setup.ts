/**
 * Builds the OTC desk from the configuration: the firm's OTC account, the RFQ limits, the
 * built-in pricer and the dealer hub. In demo mode the OTC account is funded on first start,
 * so the built-in pricer's quotes can be accepted.
 */
import { ensureAccount } from '../bootstrap.js';
import type { Config } from '../config/schema.js';
import { parseFixed } from '../core/fixed.js';
import type { HistoryStore } from '../history/store.js';
import { RfqLimiter } from '../limits/rfq-limits.js';
import type { OrderEntry } from '../order-entry/order-entry.js';
import { submitCommand } from '../order-entry/submit.js';
import type { CommandBus } from '../sequencer/api.js';
import { DealerHub } from './dealers.js';
import { RfqDesk } from './desk.js';
import { BookPricer } from './pricer.js';
import type { QuoteProvider } from './provider.js';

const DEMO_OTC_FUNDS: Record<string, string> = { USD: '50000000', BTC: '500', ETH: '5000' };

export interface OtcDesk { desk: RfqDesk; dealers: DealerHub }

export async function startOtcDesk(opts: {
  config: Config; bus: CommandBus; orders: OrderEntry; history: HistoryStore | undefined; historySynced: () => Promise<void>; clock: () => number;
}): Promise<OtcDesk> {
  const { config, bus, clock } = opts;
  const rfq = config.rfq;
  // Several gateways may start at once against one core: only the one whose CreateAccount the
  // core took funds the demo desk, so it is funded exactly once.
  if (await ensureAccount(bus, rfq.otcAccountId)) {
    if (config.mode === 'demo') {
      for (const [asset, amount] of Object.entries(DEMO_OTC_FUNDS)) {
        if (bus.core.assets().some((a) => a.asset === asset)) await submitCommand(bus, { type: 'Deposit', accountId: rfq.otcAccountId, asset, amount });
      }
    }
  }
  const decimals = new Map(bus.core.assets().map((a) => [a.asset, a.decimals]));
  const limits = (m: Record<string, string>): Map<string, bigint> => {
    const out = new Map<string, bigint>();
    for (const [asset, text] of Object.entries(m)) {
      const d = decimals.get(asset);
      const v = d === undefined ? undefined : parseFixed(text, d);
      if (typeof v === 'bigint') out.set(asset, v);
    }
    return out;
  };
  const limiter = new RfqLimiter({ rfqsPerMinute: rfq.rfqsPerMinute, maxPerRfq: limits(rfq.maxNotionalPerRfq), maxPerDay: limits(rfq.maxNotionalPerDay) }, { now: clock });
  const dealers = new DealerHub(clock);
  const providers: QuoteProvider[] = [];
  if (rfq.enabled && rfq.pricer.enabled) providers.push(new BookPricer(() => bus.core, { spreadBps: rfq.pricer.spreadBps, sizeSkewBps: rfq.pricer.sizeSkewBps, counterpartyId: rfq.otcAccountId }));
  if (rfq.enabled) providers.push(dealers);
  const desk = new RfqDesk({
    bus, orders: opts.orders, history: opts.history, historySynced: opts.historySynced, providers, limiter, clock,
    config: { defaultTtlMs: rfq.defaultTtlMs, maxTtlMs: rfq.maxTtlMs, dealerDeadlineMs: rfq.dealerDeadlineMs },
  });
  return { desk, dealers };
}
