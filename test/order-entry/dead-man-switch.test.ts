/** The switch's timers run on vitest's fake timers, and its clock reads the same fake time. */
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadManSwitches } from '../../server/src/order-entry/dead-man-switch.js';

const silent = pino({ level: 'silent' });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

function switches(db = new Database(':memory:'), fire: (accountId: string) => Promise<unknown> = async () => undefined) {
  const fired: string[] = [];
  const s = new DeadManSwitches(db, async (accountId) => {
    fired.push(accountId);
    return fire(accountId);
  }, () => Date.now(), silent);
  return { s, fired, db };
}

describe('DeadManSwitches', () => {
  it('cancels when the timeout passes without a refresh, then is disarmed', async () => {
    const { s, fired } = switches();
    expect(s.set('acc-1', 5)).toEqual({ armed: true, timeoutSeconds: 5, cancelAt: 1_005_000 });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(['acc-1']);
    expect(s.get('acc-1')).toEqual({ armed: false });
  });

  it('is disarmed as soon as it fires, while the cancel is still under way; one armed again meanwhile stays', async () => {
    let finish!: () => void;
    const { s, fired } = switches(undefined, () => new Promise<void>((resolve) => (finish = resolve)));
    s.set('acc-1', 1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fired).toEqual(['acc-1']);
    expect(s.get('acc-1')).toEqual({ armed: false });
    expect(s.set('acc-1', 30)).toMatchObject({ armed: true, timeoutSeconds: 30 });
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.get('acc-1')).toMatchObject({ armed: true, timeoutSeconds: 30 });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fired).toEqual(['acc-1', 'acc-1']);
  });

  it('a refresh moves the deadline; 0 disarms', async () => {
    const { s, fired } = switches();
    s.set('acc-1', 5);
    s.set('acc-2', 5);
    await vi.advanceTimersByTimeAsync(4_000);
    s.set('acc-1', 5);
    s.set('acc-2', 0);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fired).toEqual(['acc-1']);
  });

  it('after a restart, re-arms stored deadlines and fires at once those that passed while down', async () => {
    const db = new Database(':memory:');
    const before = switches(db);
    before.s.set('due', 1);
    before.s.set('later', 60);
    before.s.close();
    vi.setSystemTime(Date.now() + 10_000);
    const after = switches(db);
    after.s.restore();
    await vi.advanceTimersByTimeAsync(0);
    expect(after.fired).toEqual(['due']);
    expect(after.s.get('later')).toMatchObject({ armed: true, timeoutSeconds: 60 });
    await vi.advanceTimersByTimeAsync(50_000);
    expect(after.fired).toEqual(['due', 'later']);
    expect(before.fired).toEqual([]);
  });

  it('keeps an armed deadline whose cancel failed, so the next start-up fires it again', async () => {
    const { s, db } = switches(undefined, () => Promise.reject(new Error('bus down')));
    s.set('acc-1', 1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(s.get('acc-1')).toMatchObject({ armed: true });
    s.close();
    const next = switches(db);
    next.s.restore();
    await vi.advanceTimersByTimeAsync(0);
    expect(next.fired).toEqual(['acc-1']);
    expect(next.s.get('acc-1')).toEqual({ armed: false });
  });
});
