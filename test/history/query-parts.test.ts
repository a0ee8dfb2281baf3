import { describe, expect, it } from 'vitest';
import { checkLimit, MAX_PAGE_LIMIT, Where } from '../../server/src/history/query-parts.js';

describe('history query parts', () => {
  it('keeps ? placeholders for SQLite and numbers them across conditions for PostgreSQL', () => {
    for (const numbered of [false, true]) {
      const where = new Where(numbered);
      where.add('account_id = ?', 'acct');
      where.add('ts >= ? AND ts < ?', 10, 20);
      where.add('symbol = ?', 'BTC-USD');
      expect(where.params).toEqual(['acct', 10, 20, 'BTC-USD']);
      expect(String(where)).toBe(numbered
        ? 'account_id = $1 AND ts >= $2 AND ts < $3 AND symbol = $4'
        : 'account_id = ? AND ts >= ? AND ts < ? AND symbol = ?');
    }
  });

  it('caps a page at the maximum and refuses anything but a positive integer', () => {
    expect(checkLimit(1)).toBe(1);
    expect(checkLimit(MAX_PAGE_LIMIT + 1)).toBe(MAX_PAGE_LIMIT);
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) expect(() => checkLimit(bad)).toThrow(RangeError);
  });
});
