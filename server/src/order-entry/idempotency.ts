/**
 * Runs a mutating action at most once per idempotency key: a repeat with the same fingerprint gets
 * the stored response (or waits for the one in flight), a repeat with another fingerprint is an
 * IDEMPOTENCY_CONFLICT. Failures caused by the client (4xx) are remembered too, so a retry sees
 * the same answer; server-side failures are not, so a retry can succeed.
 */
import { createHash } from 'node:crypto';
import { ApiError } from '../errors/api-error.js';
import type { IdempotencyRecord, IdempotencyStore } from '../storage/idempotency-store.js';

export interface StoredResponse<T, S extends number = number> { status: S; body: T }

export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}

/** JSON with sorted keys, so that field order in the request does not change the fingerprint. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class IdempotentRunner {
  readonly #inFlight = new Map<string, { fingerprint: string; promise: Promise<StoredResponse<unknown>> }>();

  constructor(private readonly store: IdempotencyStore, private readonly clock: () => number) {}

  async run<T, S extends number = number>(scope: string, key: string, request: unknown, action: () => Promise<StoredResponse<T, S>>): Promise<StoredResponse<T, S>> {
    const fingerprint = fingerprintOf(request);
    const slot = `${scope}\u0000${key}`;
    const pending = this.#inFlight.get(slot);
    if (pending) {
      if (pending.fingerprint !== fingerprint) throw conflict(key);
      return (await pending.promise) as StoredResponse<T, S>;
    }
    // In flight from here on, before the store is asked: a repeat arriving meanwhile waits for this one.
    const promise = (async () => {
      try {
        const stored = await this.#lookup(scope, key);
        if (stored) {
          if (stored.fingerprint !== fingerprint) throw conflict(key);
          const body = JSON.parse(stored.body) as unknown;
          if (stored.status >= 400) throw reviveError(stored.status, (body as { problem: ApiErrorShape }).problem);
          return { status: stored.status, body };
        }
        let response: StoredResponse<unknown>;
        try {
          response = await action();
        } catch (err) {
          if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
            const problem: ApiErrorShape = { status: err.status, code: err.code, detail: err.detail };
            await this.#remember(scope, key, { fingerprint, status: err.status, body: JSON.stringify({ problem }), createdAt: this.clock() });
          }
          throw err;
        }
        await this.#remember(scope, key, { fingerprint, status: response.status, body: JSON.stringify(response.body), createdAt: this.clock() });
        return response;
      } finally {
        this.#inFlight.delete(slot);
      }
    })();
    this.#inFlight.set(slot, { fingerprint, promise });
    return (await promise) as StoredResponse<T, S>;
  }

  /** A store that cannot answer refuses the request before it acts: a retry may be a duplicate. */
  async #lookup(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    try {
      return await this.store.get(scope, key, this.clock());
    } catch {
      throw new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: 'The idempotency store cannot be reached; nothing was done. Retry with the same key.', headers: { 'Retry-After': '1' } });
    }
  }

  /**
   * A store that cannot record after the action is done loses only the protection of a later
   * retry; the action's answer still goes back to the client, who knows the outcome.
   */
  async #remember(scope: string, key: string, record: IdempotencyRecord): Promise<void> {
    await this.store.put(scope, key, record).catch(() => undefined);
  }
}

/**
 * Runs a domain action at most once per key, remembering its value (refusals included) when
 * `isFinal` says a retry could not get another answer. A repeat with another fingerprint gets
 * `conflict()`; one while the first is in flight waits for it; a store that cannot answer gets
 * `unavailable()` before anything is done.
 */
export class OutcomeRunner {
  readonly #inFlight = new Map<string, { fingerprint: string; promise: Promise<unknown> }>();

  constructor(private readonly store: IdempotencyStore, private readonly clock: () => number) {}

  async run<T>(
    scope: string, key: string, request: unknown, action: () => Promise<T>,
    o: { isFinal: (value: T) => boolean; conflict: () => T; unavailable: () => T },
  ): Promise<T> {
    const fingerprint = fingerprintOf(request);
    const slot = `${scope}\u0000${key}`;
    const pending = this.#inFlight.get(slot);
    if (pending) return pending.fingerprint === fingerprint ? ((await pending.promise) as T) : o.conflict();
    const promise = (async () => {
      try {
        let stored: IdempotencyRecord | undefined;
        try {
          stored = await this.store.get(scope, key, this.clock());
        } catch {
          return o.unavailable();
        }
        if (stored) return stored.fingerprint === fingerprint ? (JSON.parse(stored.body) as T) : o.conflict();
        const value = await action();
        if (o.isFinal(value)) {
          await this.store.put(scope, key, { fingerprint, status: 200, body: JSON.stringify(value), createdAt: this.clock() }).catch(() => undefined);
        }
        return value;
      } finally {
        this.#inFlight.delete(slot);
      }
    })();
    this.#inFlight.set(slot, { fingerprint, promise });
    return promise;
  }
}

interface ApiErrorShape { status: number; code: string; detail: string }

function reviveError(status: number, p: ApiErrorShape): ApiError {
  return new ApiError({ status, code: p.code, detail: p.detail });
}

function conflict(key: string): ApiError {
  return new ApiError({ status: 409, code: 'IDEMPOTENCY_CONFLICT', detail: `The key "${key}" was already used with a different request.` });
}
