/**
 * openapi-fetch middleware that sends a request again after a retryable failure (see
 * retry-policy.ts), waiting `Retry-After` when the server gave one and a jittered exponential
 * backoff otherwise. Every attempt is signed afresh (`prepare`): the server remembers each
 * accepted signature, so a resent copy of a signed request would be refused as a replay.
 *
 * Register it before the signing middleware, so it keeps the unsigned request to re-sign.
 */
import type { Middleware } from 'openapi-fetch';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff.js';
import { parseRetryAfter } from '../errors.js';
import { classifyResponse, isIdempotentRequest, type FailureKind } from './retry-policy.js';

export interface RetryOptions {
  /** Attempts after the first. */
  maxRetries: number;
  backoff: BackoffOptions;
  /** A `Retry-After` longer than this is not waited out: the refusal is returned to the caller. */
  maxRetryAfterMs: number;
  /** Injectable for tests; the real timer by default. */
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Called before each wait, e.g. for logging. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  method: string;
  url: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  kind: FailureKind;
  status?: number;
  code?: string;
  /** The server's Retry-After, when it sent one. */
  retryAfterSeconds?: number;
  error?: unknown;
}

/** How the request behind a final response went. */
export interface RetryHistory {
  attempts: number;
  /** Some earlier attempt failed in a way that leaves open whether the server acted on it. */
  ambiguousFailure: boolean;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  maxRetries: 3,
  backoff: { baseMs: 200, maxMs: 5_000 },
  maxRetryAfterMs: 30_000,
  sleep: (ms) => sleep(ms),
  random: Math.random,
};

const histories = new WeakMap<Response, RetryHistory>();

/** The retry history of a response the middleware returned (undefined if it never retried). */
export function retryHistory(response: Response): RetryHistory | undefined {
  return histories.get(response);
}

export interface RetryHooks {
  /** Turns a fresh copy of the unsigned request into the one to send (signs it). */
  prepare?: (request: Request) => Promise<Request>;
  /** Re-measures the clock offset after AUTH_TIMESTAMP_OUT_OF_WINDOW; without it that error is final. */
  recalibrate?: () => Promise<void>;
}

interface Pending {
  original: Request;
  idempotent: boolean;
}

async function problemCode(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}

export function retryMiddleware(options: Partial<RetryOptions> = {}, hooks: RetryHooks = {}): Middleware {
  const opts: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...options };
  const pending = new Map<string, Pending>();

  /** The wait before the next attempt, or undefined to stop. */
  const delayFor = (kind: FailureKind, attempt: number, retryAfterSeconds: number | undefined): number | undefined => {
    if (kind === 'clock') return 0;
    const backoff = backoffDelay(attempt - 1, opts.backoff, opts.random);
    if (retryAfterSeconds === undefined) return backoff;
    const wait = retryAfterSeconds * 1000;
    if (wait > opts.maxRetryAfterMs) return undefined;
    // Honour the server's wait, plus a little jitter so a crowd of clients does not return at once.
    return wait + Math.round(opts.random() * opts.backoff.baseMs);
  };

  const run = async (id: string, fetcher: (input: Request) => Promise<Response>, first: { response?: Response; error?: unknown }) => {
    const entry = pending.get(id);
    pending.delete(id);
    if (!entry) {
      if (first.response) return first.response;
      throw first.error;
    }
    let { response, error } = first;
    let ambiguousFailure = false;
    let recalibrated = false;
    for (let attempt = 1; ; attempt++) {
      let kind: FailureKind | undefined;
      let code: string | undefined;
      let retryAfter: number | undefined;
      if (response) {
        code = await problemCode(response);
        kind = classifyResponse(response.status, code);
        retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
      } else {
        kind = 'ambiguous';
      }
      const allowed =
        kind === 'unprocessed' || (kind === 'ambiguous' && entry.idempotent) || (kind === 'clock' && hooks.recalibrate !== undefined && !recalibrated);
      const delayMs = allowed && kind !== undefined && attempt <= opts.maxRetries ? delayFor(kind, attempt, retryAfter) : undefined;
      if (delayMs === undefined || kind === undefined) {
        if (response) {
          if (attempt > 1) histories.set(response, { attempts: attempt, ambiguousFailure });
          return response;
        }
        throw error;
      }
      if (kind === 'ambiguous') ambiguousFailure = true;
      opts.onRetry?.({
        method: entry.original.method, url: entry.original.url, attempt, delayMs, kind,
        ...(response && { status: response.status }), ...(code !== undefined && { code }),
        ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }), ...(!response && { error }),
      });
      // Free the connection the failed response holds before waiting.
      await response?.body?.cancel().catch(() => undefined);
      if (delayMs > 0) await opts.sleep(delayMs);
      if (kind === 'clock') {
        recalibrated = true;
        await hooks.recalibrate!();
      }
      const next = entry.original.clone();
      try {
        response = await fetcher(hooks.prepare ? await hooks.prepare(next) : next);
        error = undefined;
      } catch (e) {
        response = undefined;
        error = e;
      }
    }
  };

  return {
    async onRequest({ request, id }) {
      pending.set(id, { original: request.clone(), idempotent: await isIdempotentRequest(request) });
      return undefined;
    },
    async onResponse({ response, id, options }) {
      return run(id, options.fetch, { response });
    },
    async onError({ error, id, options }) {
      return run(id, options.fetch, { error });
    },
  };
}
