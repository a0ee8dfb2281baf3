import { describe, expect, it } from 'vitest';
import { ApiError } from '../../server/src/errors/api-error.js';
import { IdempotentRunner, fingerprintOf } from '../../server/src/order-entry/idempotency.js';
import { IDEMPOTENCY_WINDOW_MS, MemoryIdempotencyStore, type IdempotencyStore } from '../../server/src/storage/idempotency-store.js';

function runner(store: IdempotencyStore = new MemoryIdempotencyStore()) {
  const clock = { now: 1_000 };
  return { clock, runner: new IdempotentRunner(store, () => clock.now) };
}

/** An action that counts its runs and answers a fresh body each time. */
function countingAction() {
  let runs = 0;
  return {
    get runs() {
      return runs;
    },
    action: async () => ({ status: 201, body: { run: ++runs } }),
  };
}

describe('IdempotentRunner', () => {
  it('runs an action once per key; a repeat gets the first answer', async () => {
    const { runner: r } = runner();
    const a = countingAction();
    expect(await r.run('acc-1', 'k1', { qty: '1' }, a.action)).toEqual({ status: 201, body: { run: 1 } });
    expect(await r.run('acc-1', 'k1', { qty: '1' }, a.action)).toEqual({ status: 201, body: { run: 1 } });
    expect(a.runs).toBe(1);
  });

  it('keeps scopes apart: two accounts may use the same key', async () => {
    const { runner: r } = runner();
    const a = countingAction();
    await r.run('acc-1', 'k1', {}, a.action);
    expect(await r.run('acc-2', 'k1', {}, a.action)).toEqual({ status: 201, body: { run: 2 } });
  });

  it('refuses the same key with another request as IDEMPOTENCY_CONFLICT, also while the first is in flight', async () => {
    const { runner: r } = runner();
    let finish!: () => void;
    const first = r.run('acc-1', 'k1', { qty: '1' }, () => new Promise<{ status: number; body: unknown }>((resolve) => { finish = () => resolve({ status: 201, body: {} }); }));
    await expect(r.run('acc-1', 'k1', { qty: '2' }, countingAction().action)).rejects.toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
    finish();
    await first;
    await expect(r.run('acc-1', 'k1', { qty: '2' }, countingAction().action)).rejects.toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('a repeat arriving while the first is in flight waits for it instead of running again', async () => {
    const { runner: r } = runner();
    const a = countingAction();
    const [one, two] = await Promise.all([r.run('acc-1', 'k1', {}, a.action), r.run('acc-1', 'k1', {}, a.action)]);
    expect(one).toEqual(two);
    expect(a.runs).toBe(1);
  });

  it('remembers a client error, but not a server error or a rate-limit refusal, so those may be retried', async () => {
    const { runner: r } = runner();
    const refuse = (status: number, code: string) => async () => {
      throw new ApiError({ status, code, detail: code });
    };
    await expect(r.run('acc-1', 'bad', {}, refuse(422, 'INSUFFICIENT_FUNDS'))).rejects.toMatchObject({ status: 422 });
    await expect(r.run('acc-1', 'bad', {}, countingAction().action)).rejects.toMatchObject({ status: 422, code: 'INSUFFICIENT_FUNDS' });
    for (const [status, code] of [[500, 'INTERNAL_ERROR'], [429, 'RATE_LIMITED']] as const) {
      await expect(r.run('acc-1', code, {}, refuse(status, code))).rejects.toMatchObject({ status });
      expect(await r.run('acc-1', code, {}, countingAction().action)).toEqual({ status: 201, body: { run: 1 } });
    }
  });

  it('forgets a key once the idempotency window has passed', async () => {
    const { runner: r, clock } = runner();
    const a = countingAction();
    await r.run('acc-1', 'k1', {}, a.action);
    clock.now += IDEMPOTENCY_WINDOW_MS;
    expect(await r.run('acc-1', 'k1', {}, a.action)).toEqual({ status: 201, body: { run: 2 } });
  });

  it('refuses with 503 and does nothing when the store cannot answer', async () => {
    const broken: IdempotencyStore = { get: () => Promise.reject(new Error('down')), put: () => Promise.resolve() };
    const { runner: r } = runner(broken);
    const a = countingAction();
    await expect(r.run('acc-1', 'k1', {}, a.action)).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(a.runs).toBe(0);
  });
});

describe('fingerprintOf', () => {
  it('does not depend on field order or on absent fields', () => {
    expect(fingerprintOf({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(fingerprintOf({ b: { d: [1, 2], c: 2 }, a: 1, e: undefined }));
    expect(fingerprintOf({ a: 1 })).not.toBe(fingerprintOf({ a: 2 }));
    expect(fingerprintOf({ d: [1, 2] })).not.toBe(fingerprintOf({ d: [2, 1] }));
  });
});
