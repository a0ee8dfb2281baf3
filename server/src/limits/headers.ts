/**
 * The RateLimit-Policy and RateLimit header fields of draft-ietf-httpapi-ratelimit-headers
 * (draft 10), in Structured Field list form:
 *   RateLimit-Policy: "key";q=100;w=1, "ip";q=300;w=1
 *   RateLimit: "key";r=42;t=1, "ip";r=290;t=1
 * q = quota, w = window seconds, r = whole quota units left, t = seconds (rounded up) until all
 * the quota is back: for a token bucket, until it is full again; 0 when nothing is spent.
 */
/** One policy's state for one partition: also the usage object WS replies and /limits return. */
export interface RateLimitUsage {
  policy: string;
  /** Quota units per window (a token bucket's capacity). */
  limit: number;
  /** Whole units left now. */
  remaining: number;
  /** Seconds, rounded up, until the quota is back (token bucket: full again); 0 when nothing is spent. */
  reset: number;
  windowSeconds: number;
}

/** Policy names are our own constants, but quote safely anyway (sf-string allows no `"` or `\` unescaped). */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function formatRateLimitPolicy(usage: readonly Pick<RateLimitUsage, 'policy' | 'limit' | 'windowSeconds'>[]): string {
  return usage.map((u) => `${sfString(u.policy)};q=${u.limit};w=${u.windowSeconds}`).join(', ');
}

export function formatRateLimit(usage: readonly RateLimitUsage[]): string {
  return usage.map((u) => `${sfString(u.policy)};r=${u.remaining};t=${u.reset}`).join(', ');
}
