import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('a resting order in memory', () => {
  it('keeps no heap number of its own for its amounts and times', () => {
    // The Order object is 216 B; with its share of the tables, its level and the command's time
    // about 290 B. A "double" field would add a 16 B heap number per order for each amount and time.
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'support', 'order-retention.ts')], { encoding: 'utf8' });
    const { perOrder } = JSON.parse(out) as { perOrder: number };
    expect(perOrder).toBeGreaterThan(216);
    expect(perOrder).toBeLessThan(330);
  }, 60_000);
});
