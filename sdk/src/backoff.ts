/** Exponential backoff with jitter, shared by REST retries and WebSocket reconnects. */

export interface BackoffOptions {
  /** Delay scale of the first retry (ms). */
  baseMs: number;
  /** Largest delay before jitter (ms). */
  maxMs: number;
}

/**
 * "Equal jitter": half the exponential step for sure, the other half at random. The sure half
 * keeps a crowd of clients from hammering a recovering server; the random half spreads them out.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
