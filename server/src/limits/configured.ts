/** The published policies with the quotas a deployment configured. */
import type { Config } from '../config/schema.js';
import { ORDER_POLICIES, REQUEST_POLICIES, type RateLimitPolicy } from './policies.js';

const QUOTA_OF: Record<string, (l: Config['limits']) => number> = {
  key: (l) => l.keyWeightPerSecond,
  ip: (l) => l.ipWeightPerSecond,
  'orders-1s': (l) => l.ordersPerSecond,
  'orders-10s': (l) => l.ordersPer10Seconds,
};

function configure(policies: readonly RateLimitPolicy[], limits: Config['limits']): RateLimitPolicy[] {
  return policies.map((p) => ({ ...p, quota: QUOTA_OF[p.name]?.(limits) ?? p.quota }));
}

export function configuredRequestPolicies(limits: Config['limits']): RateLimitPolicy[] {
  return configure(REQUEST_POLICIES, limits);
}

export function configuredOrderPolicies(limits: Config['limits']): RateLimitPolicy[] {
  return configure(ORDER_POLICIES, limits);
}
