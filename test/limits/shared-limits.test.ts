/**
 * The shared limit state of worker mode: each opening of one data directory stands for one
 * process (the core or a worker). Their lockouts must count one failure allowance between them,
 * as a single process would, and expired counters must not pile up in limits.db.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_IP_LOCKOUT, DEFAULT_KEY_LOCKOUT } from '../../server/src/auth/index.js';
import { DEFAULT_CONFIG } from '../../server/src/config/schema.js';
import { openSharedLimits, type SharedLimits, type SharedLimitsOptions } from '../../server/src/limits/shared-limits.js';

const opened: SharedLimits[] = [];
const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  opened.splice(0).forEach((l) => l.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shared-limits-'));
  dirs.push(dir);
  return dir;
}

async function open(dir: string, options: SharedLimitsOptions = {}): Promise<SharedLimits> {
  const limits = await openSharedLimits({ ...DEFAULT_CONFIG, dataDir: dir }, options);
  opened.push(limits);
  return limits;
}

describe('the shared lockout of worker mode', () => {
  it('locks a key out after the single-process number of failures, however they are spread over the processes', async () => {
    const dir = dataDir();
    const processes = await Promise.all([open(dir), open(dir), open(dir)]);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(processes.length - 1), { minLength: DEFAULT_KEY_LOCKOUT.maxFailures, maxLength: DEFAULT_KEY_LOCKOUT.maxFailures }), async (spread) => {
        // A key and a failing IP of its own per run (the IP's allowance is larger than the key's).
        run++;
        const keyId = `ak_spread${run}`;
        for (const [seen, p] of spread.entries()) {
          // Not locked before the last failure, and every process counts the failures so far.
          for (const other of processes) expect(await other.lockout.check('198.51.100.1', keyId)).toEqual({ locked: false, keyFailures: seen });
          await processes[p]!.lockout.recordFailure(`198.18.0.${run}`, keyId);
        }
        for (const other of processes) {
          expect(await other.lockout.check('198.51.100.1', keyId)).toEqual({ locked: true, retryAfterSeconds: DEFAULT_KEY_LOCKOUT.baseLockoutSeconds });
        }
      }),
      { numRuns: 25 },
    );
  });

  it('holds in a process opened after the lockout started (a replacement worker)', async () => {
    const dir = dataDir();
    const core = await open(dir);
    for (let i = 0; i < DEFAULT_IP_LOCKOUT.maxFailures; i++) await core.lockout.recordFailure('192.0.2.7', undefined);
    const replacement = await open(dir);
    expect(await replacement.lockout.check('192.0.2.7', undefined)).toEqual({ locked: true, retryAfterSeconds: DEFAULT_IP_LOCKOUT.baseLockoutSeconds });
  });

  it('deletes expired counters now and then, and keeps the lockout levels still remembered', async () => {
    vi.useFakeTimers({ now: 1_750_000_000_000 });
    const dir = dataDir();
    const limits = await open(dir, { sweepEveryMs: 1000 });
    for (let i = 0; i < DEFAULT_KEY_LOCKOUT.maxFailures; i++) await limits.lockout.recordFailure('192.0.2.8', 'ak_sweep');
    const reader = new Database(join(dir, 'limits.db'), { readonly: true });
    const rows = () => reader.prepare<[], { expire: number | null }>('SELECT expire FROM auth_lockout').all();
    try {
      const before = rows().length;
      // Past the failure window and the first lockout, well inside the level memory.
      // Async: the store's sweep awaits its connection before it deletes.
      await vi.advanceTimersByTimeAsync(DEFAULT_KEY_LOCKOUT.failureWindowSeconds * 1000 + 1000);
      const after = rows();
      expect(after.length).toBeGreaterThan(0);
      expect(after.length).toBeLessThan(before);
      for (const row of after) expect(row.expire).toBeGreaterThan(Date.now());
    } finally {
      reader.close();
    }
    // The remembered level doubles the next lockout.
    for (let i = 0; i < DEFAULT_KEY_LOCKOUT.maxFailures; i++) await limits.lockout.recordFailure('192.0.2.9', 'ak_sweep');
    expect(await limits.lockout.check('192.0.2.10', 'ak_sweep')).toEqual({ locked: true, retryAfterSeconds: 2 * DEFAULT_KEY_LOCKOUT.baseLockoutSeconds });
  });

  it('leaves the sweep to the core process: a worker deletes no expired counter', async () => {
    vi.useFakeTimers({ now: 1_750_000_000_000 });
    const dir = dataDir();
    const worker = await open(dir, { sweepExpiredLockouts: false, sweepEveryMs: 1000 });
    for (let i = 0; i < DEFAULT_KEY_LOCKOUT.maxFailures; i++) await worker.lockout.recordFailure('192.0.2.11', 'ak_worker');
    const reader = new Database(join(dir, 'limits.db'), { readonly: true });
    const rows = () => reader.prepare<[], { expire: number | null }>('SELECT expire FROM auth_lockout').all();
    try {
      const before = rows().length;
      await vi.advanceTimersByTimeAsync(DEFAULT_KEY_LOCKOUT.failureWindowSeconds * 1000 + 1000);
      const after = rows();
      expect(after).toHaveLength(before);
      // Rows a sweeping process would have deleted.
      expect(after.some((row) => row.expire !== null && row.expire < Date.now())).toBe(true);
    } finally {
      reader.close();
    }
  });
});
