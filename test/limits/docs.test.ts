/** docs/rate-limits.md publishes the policy and weight tables: they must match the enforced data. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATION_WEIGHTS, RATE_LIMIT_POLICIES } from '../../server/src/limits/index.js';

const doc = readFileSync(join(resolve(import.meta.dirname, '../..'), 'docs/rate-limits.md'), 'utf8');

/** Rows of the markdown table whose header line starts with `| first |`. */
function table(first: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(lines[i]!.split('|').slice(1, -1).map((c) => c.trim().replace(/`/g, '')));
  }
  return rows;
}

describe('docs/rate-limits.md', () => {
  it('lists every policy with its quota, window and kind', () => {
    const scopeWords = { key: 'API key', ip: 'client IP address', account: 'account' };
    expect(table('policy')).toEqual(
      RATE_LIMIT_POLICIES.map((p) => [
        p.name,
        scopeWords[p.scope],
        String(p.quota),
        `${p.windowSeconds} s`,
        p.kind === 'rolling-window' ? `rolling, ${p.rollingBucketMs} ms buckets` : 'token bucket',
      ]),
    );
  });

  it('lists every operation weight', () => {
    expect(table('operation')).toEqual(Object.entries(OPERATION_WEIGHTS).map(([op, w]) => [op, String(w)]));
  });
});
