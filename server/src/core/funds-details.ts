/** The figures of an INSUFFICIENT_FUNDS rejection: what the order needed held, and what was free. */
import { formatFixed } from './fixed.js';
import type { AssetInfo } from './model.js';
import type { Units } from './units.js';

export interface FundsDetails { [k: string]: string; asset: string; required: string; available: string }

export function fundsDetails(asset: AssetInfo, required: Units, available: Units): FundsDetails {
  return { asset: asset.asset, required: formatFixed(required, asset.decimals), available: formatFixed(available, asset.decimals) };
}

export function fundsMessage(d: FundsDetails): string {
  return `insufficient available ${d.asset}: ${d.required} required, ${d.available} available`;
}
