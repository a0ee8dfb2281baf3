/**
 * Every paginated history query must stay an index search that yields its rows already in page
 * order: the account (and the symbol or asset it filters on) and the cursor bound inside the
 * index's key, no table scan, no sort. Checked on the real statements with EXPLAIN QUERY PLAN,
 * so that an index merged or dropped to make the projection cheaper cannot quietly turn a page
 * into a walk over an account's whole history.
 */
import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../server/src/history/cursor.js';
import { createHistorySchema } from '../../server/src/history/schema.js';
import { HistoryQueries } from '../../server/src/history/queries.js';
import { openDatabase, type SqliteDatabase } from '../../server/src/storage/sqlite.js';

interface Ran { sql: string; params: unknown[] }

/** The database, and a view of it that records each statement the queries run, with its parameters. */
function recordingDatabase(): { db: SqliteDatabase; recorded: SqliteDatabase; ran: Ran[] } {
  const db = openDatabase(':memory:');
  createHistorySchema(db);
  const ran: Ran[] = [];
  const recorded = new Proxy(db, {
    get(target, property) {
      if (property !== 'prepare') return Reflect.get(target, property, target);
      return (sql: string) => {
        const statement = target.prepare(sql);
        return {
          all: (...params: unknown[]) => (ran.push({ sql, params }), statement.all(...params)),
          get: (...params: unknown[]) => (ran.push({ sql, params }), statement.get(...params)),
        };
      };
    },
  }) as SqliteDatabase;
  return { db, recorded, ran };
}

function planOf(db: SqliteDatabase, { sql, params }: Ran): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
}

const CURSOR = encodeCursor(1000);

describe('history query plans', () => {
  const { db, recorded, ran } = recordingDatabase();
  const queries = new HistoryQueries(recorded);
  const cases: [string, () => unknown, string[]][] = [
    ['orders of an account', () => queries.listOrders('a1', {}, undefined, 10), ['account_id=?']],
    ['orders of an account, next page', () => queries.listOrders('a1', {}, CURSOR, 10), ['account_id=?', 'first_seq<?']],
    ['orders of an account in one symbol', () => queries.listOrders('a1', { symbol: 'BTC-USD' }, CURSOR, 10), ['account_id=?', 'symbol=?', 'first_seq<?']],
    ['an order by client order id', () => queries.getOrder('a1', { clientOrderId: 'c1' }), ['account_id=?', 'client_order_id=?']],
    ['fills of an account', () => queries.listFills('a1', {}, CURSOR, 10), ['account_id=?', 'seq<?']],
    ['fills of an account in one symbol', () => queries.listFills('a1', { symbol: 'BTC-USD' }, CURSOR, 10), ['account_id=?', 'symbol=?', 'seq<?']],
    ['fills of executed quotes', () => queries.listQuoteTrades('a1', CURSOR, 10), ['account_id=?', 'seq<?']],
    ['balance changes of an account', () => queries.listBalanceChanges('a1', {}, CURSOR, 10), ['account_id=?', 'seq<?']],
    ['balance changes of an account in one asset', () => queries.listBalanceChanges('a1', { asset: 'USD' }, CURSOR, 10), ['account_id=?', 'asset=?', 'seq<?']],
    ['quotes of an account', () => queries.listQuotes('a1', CURSOR, 10), ['account_id=?', 'quote_id<?']],
  ];

  for (const [name, run, keyTerms] of cases) {
    it(`${name}: one index search on ${keyTerms.join(', ')}, no scan, no sort`, () => {
      ran.length = 0;
      run();
      expect(ran).toHaveLength(1);
      const plan = planOf(db, ran[0]!);
      expect(plan).toHaveLength(1);
      expect(plan[0]).toMatch(/^SEARCH \w+ USING (COVERING )?INDEX \w+ \(/);
      for (const term of keyTerms) expect(plan[0]).toContain(term);
      expect(plan.join('\n')).not.toMatch(/SCAN|TEMP B-TREE/);
    });
  }
});
