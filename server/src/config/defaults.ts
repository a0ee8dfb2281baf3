/** The embedded default: everything a fresh clone needs to run a demo market with no external service. */
import type { AssetSpec, InstrumentSpec } from '../core/api.js';

export const DEFAULT_ASSETS: AssetSpec[] = [
  { asset: 'BTC', decimals: 8 },
  { asset: 'ETH', decimals: 8 },
  { asset: 'USD', decimals: 8 },
];

export const DEFAULT_INSTRUMENTS: InstrumentSpec[] = [
  { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.00001', minQuantity: '0.00001', maxQuantity: '1000', minNotional: '1', priceBandBps: 1000, status: 'open' },
  { symbol: 'ETH-BTC', base: 'ETH', quote: 'BTC', tickSize: '0.00001', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '10000', minNotional: '0.0001', priceBandBps: 1000, status: 'open' },
  { symbol: 'ETH-USD', base: 'ETH', quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001', maxQuantity: '10000', minNotional: '1', priceBandBps: 1000, status: 'open' },
];
