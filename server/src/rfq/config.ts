/** Settings of the OTC request-for-quote desk (docs/otc-rfq.md): who quotes, for how long, and the limits. */
import { Type, type Static } from '@sinclair/typebox';

const decimal = Type.String({ pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$' });
const notionals = (def: Record<string, string>, description: string) =>
  Type.Record(Type.String({ pattern: '^[A-Z0-9]{2,10}$' }), decimal, { default: def, description });

export const RFQ_CONFIG_SCHEMA = Type.Object({
  enabled: Type.Boolean({ default: true, description: 'Serve requests for quote at all.' }),
  otcAccountId: Type.String({ pattern: '^[\\x21-\\x7e]{1,64}$', default: 'otc-desk', description: "The firm's OTC account: the counterparty of the built-in pricer's quotes (created at start; funded in demo mode)." }),
  defaultTtlMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000, description: 'How long a quote stays firm when the request names no TTL, in ms; at most maxTtlMs (checked at start-up).' }),
  maxTtlMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000, description: 'The longest TTL a request may ask for, in ms.' }),
  dealerDeadlineMs: Type.Integer({ minimum: 1, maximum: 10_000, default: 250, description: 'How long dealers have to answer an RFQ, in ms; later answers are refused.' }),
  pricer: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'Quote from the live book with the built-in pricer.' }),
    spreadBps: Type.Integer({ minimum: 0, maximum: 5_000, default: 10, description: 'Added to the VWAP on the ask and taken off on the bid, in bps.' }),
    sizeSkewBps: Type.Integer({ minimum: 0, maximum: 5_000, default: 20, description: "Extra bps at the instrument's maximum order size, pro rata below it." }),
  }, { additionalProperties: false }),
  rfqsPerMinute: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 60, description: 'Requests for quote per account in any rolling minute, over all channels.' }),
  maxNotionalPerRfq: notionals({ USD: '2000000', BTC: '50' }, 'Largest notional of one RFQ, per quote asset; an asset not listed has no maximum.'),
  maxNotionalPerDay: notionals({ USD: '20000000', BTC: '500' }, 'Largest total notional quoted to one account per UTC day, per quote asset.'),
}, { additionalProperties: false });

export type RfqConfig = Static<typeof RFQ_CONFIG_SCHEMA>;
