/** Expired idempotency records are swept in bounded batches, and the SQLite file gives the space back. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_WINDOW_MS, MemoryIdempotencyStore, SqliteIdempotencyStore, SWEEP_BATCH } from '../../server/src/storage/idempotency-store.js';
import { openDatabase } from '../../server/src/storage/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'idem-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const body = (i: number) => JSON.stringify({ order: { orderId: String(i), symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20000', quantity: '0.5', status: 'new' }, fills: [] });
const record = (i: number, createdAt: number) => ({ fingerprint: `fp-${i}`, status: 201, body: body(i), createdAt });

function count(db: Database.Database): number {
  return (db.prepare('SELECT count(*) AS n FROM idempotency').get() as { n: number }).n;
}

describe('SQLite idempotency store', () => {
  it('sweeps at most the batch per call, oldest first, and never a live record', async () => {
    const db = openDatabase(join(dir, 'batch.db'), { synchronous: 'NORMAL' });
    const store = new SqliteIdempotencyStore(db);
    for (let i = 0; i < 100; i++) await store.put('acc', `old-${i}`, record(i, T0 + i));
    const later = T0 + IDEMPOTENCY_WINDOW_MS + 50; // records 0..50 have expired
    await store.put('acc', 'live', record(1000, later));
    expect(count(db)).toBe(101 - SWEEP_BATCH); // the put swept one batch
    let swept = 0;
    for (let n; (n = store.sweep(later, 7)) > 0; swept += n) expect(n).toBeLessThanOrEqual(7);
    expect(swept + SWEEP_BATCH).toBe(51);
    expect(count(db)).toBe(50);
    expect(await store.get('acc', 'old-51', later)).toEqual(record(51, T0 + 51));
    expect(await store.get('acc', 'live', later)).toEqual(record(1000, later));
    db.close();
  });

  it('keeps up with writes: a steady stream holds about one window of records, and the file shrinks once they expire', async () => {
    const file = join(dir, 'steady.db');
    const db = openDatabase(file, { synchronous: 'NORMAL' });
    const store = new SqliteIdempotencyStore(db);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2); // incremental
    const perWindow = 2000;
    const step = IDEMPOTENCY_WINDOW_MS / perWindow;
    for (let i = 0; i < perWindow * 3; i++) await store.put('acc', `k-${i}`, record(i, T0 + i * step));
    expect(count(db)).toBeLessThanOrEqual(perWindow + SWEEP_BATCH);
    const pagesFull = db.pragma('page_count', { simple: true }) as number;
    // Traffic stops; a day later the sweep empties the table and hands the pages back.
    const end = T0 + perWindow * 4 * step + IDEMPOTENCY_WINDOW_MS;
    while (store.sweep(end, 500) > 0);
    expect(count(db)).toBe(0);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pagesEmpty = db.pragma('page_count', { simple: true }) as number;
    expect(pagesEmpty).toBeLessThan(pagesFull / 4);
    expect(db.pragma('freelist_count', { simple: true })).toBeLessThan(pagesFull / 4);
    db.close();
    expect(statSync(file).size).toBeLessThan(pagesFull * 4096 / 4);
  });

  it('reads records written before bodies were deflated, and converts an old file to incremental vacuum', async () => {
    const file = join(dir, 'legacy.db');
    const legacy = new Database(file);
    legacy.exec(`CREATE TABLE idempotency (scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
      body TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (scope, key))`);
    legacy.prepare('INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)').run('acc', 'k', 'fp-1', 201, body(1), T0);
    expect(legacy.pragma('auto_vacuum', { simple: true })).toBe(0);
    legacy.close();
    const db = openDatabase(file);
    const store = new SqliteIdempotencyStore(db);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(await store.get('acc', 'k', T0 + 1)).toEqual(record(1, T0));
    db.close();
  });
});

describe('memory idempotency store', () => {
  it('sweeps expired records in bounded batches as it is written to', async () => {
    const store = new MemoryIdempotencyStore();
    for (let i = 0; i < 100; i++) await store.put('acc', `old-${i}`, record(i, T0 + i));
    const later = T0 + IDEMPOTENCY_WINDOW_MS + 99; // all 100 have expired
    expect(store.sweep(later, 30)).toBe(30);
    expect(store.size).toBe(70);
    for (let i = 0; i < 3; i++) await store.put('acc', `new-${i}`, record(i, later));
    expect(store.size).toBe(70 - 3 * SWEEP_BATCH + 3);
    expect(await store.get('acc', 'new-0', later)).toEqual(record(0, later));
  });
});
