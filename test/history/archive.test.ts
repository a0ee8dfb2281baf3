/** History export and pruning: what is archived is exactly what is pruned, live orders never go, and the CLI writes the file before deleting. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportHistory } from '../../server/src/history/archive.js';
import { openHistoryStore } from '../../server/src/history/index.js';
import { openDatabase } from '../../server/src/storage/sqlite.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { ACCOUNTS, collect, eventsFor, step } from './random-history.js';

const newDir = tempDirs('history-archive');
const LIVE = new Set(['new', 'partially_filled']);

describe('history archive', () => {
  it('prunes in bounded batches exactly the rows it exports, and keeps every live order', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1_000, max: 1_600 }), fc.integer({ min: 1, max: 7 }), (steps, before, batch) => {
      const { events, orders } = eventsFor(steps);
      const file = join(newDir(), 'history.db');
      const store = openHistoryStore(file);
      store.project(events);
      const db = openDatabase(file);
      const lines: { table: string; row: Record<string, unknown> }[] = [];
      const counts = exportHistory(db, before, (line) => lines.push(JSON.parse(line)));
      const archivedOrders = new Set(lines.filter((l) => l.table === 'orders').map((l) => l.row.order_id));
      let rounds = 0;
      for (let n; (n = store.prune(before, batch)) > 0; rounds++) expect(n).toBeLessThanOrEqual(3 * batch);
      expect(exportHistory(db, before, () => undefined)).toEqual({ orders: 0, fills: 0, balance_changes: 0 });
      for (const account of ACCOUNTS) {
        const left = collect((cursor) => store.listOrders(account, {}, cursor, 1000));
        for (const order of orders.values()) {
          if (order.accountId !== account) continue;
          const kept = left.some((o) => o.orderId === order.orderId);
          expect(kept).toBe(!archivedOrders.has(order.orderId));
          if (LIVE.has(order.status) || order.createdAt >= before) expect(kept).toBe(true);
        }
      }
      expect(counts.orders).toBe(archivedOrders.size);
      db.close();
      store.close();
    }), { numRuns: 25 });
  });

  it('npm run history -- export --before DATE --out FILE --delete archives, syncs, then deletes', () => {
    const dir = newDir();
    const cycle = (i: number) => [{ kind: 'place' as const, account: i % 2, symbol: 0 }, { kind: 'cancel' as const, pick: i }, { kind: 'balance' as const, account: i % 2, asset: 0 }];
    const { events } = eventsFor(Array.from({ length: 10 }, (_, i) => cycle(i)).flat());
    const store = openHistoryStore(join(dir, 'history.db'));
    store.project(events);
    store.close();
    const out = join(dir, 'archive.jsonl');
    const far = new Date(Date.UTC(2100, 0, 1)).toISOString();
    execFileSync('npx', ['tsx', 'scripts/history-cli.ts', 'export', '--before', far, '--data-dir', dir, '--out', out, '--delete'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { table: string });
    expect(lines.length).toBeGreaterThan(0);
    const again = openHistoryStore(join(dir, 'history.db'));
    const db = openDatabase(join(dir, 'history.db'));
    expect(exportHistory(db, Date.parse(far), () => undefined)).toEqual({ orders: 0, fills: 0, balance_changes: 0 });
    db.close();
    again.close();
  });

  it('refuses --delete without --out and a date it cannot read', () => {
    const run = (args: string[]) => {
      try {
        execFileSync('npx', ['tsx', 'scripts/history-cli.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return 0;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    expect(run(['export', '--before', 'soon', '--data-dir', newDir()])).toBe(2);
    expect(run(['export', '--before', '2026-01-01', '--data-dir', newDir(), '--delete'])).toBe(2);
  });
});
