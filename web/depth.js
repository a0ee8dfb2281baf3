// @ts-check
/**
 * The depth chart's data: for each side, from the best price outwards, the cumulative quantity
 * available at that price or better. Totals are exact decimal strings.
 */
import { addDecimal } from './decimal.js';

/** @typedef {[price: string, quantity: string]} Level */
/** @typedef {{ price: string, total: string }} DepthPoint */

/** @param {Level[]} levels best first @returns {DepthPoint[]} */
export function cumulative(levels) {
  let total = '0';
  return levels.map(([price, quantity]) => {
    total = addDecimal(total, quantity);
    return { price, total };
  });
}

/** @param {Level[]} bids best first @param {Level[]} asks best first */
export function depthCurve(bids, asks) {
  return { bids: cumulative(bids), asks: cumulative(asks) };
}
