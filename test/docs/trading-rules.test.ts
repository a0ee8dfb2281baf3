/** docs/trading-rules.md states the demo's instruments and field names as the API returns them. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const ROOT = resolve(import.meta.dirname, '../..');
const doc = readFileSync(join(ROOT, 'docs/trading-rules.md'), 'utf8');

/** The table after the `<!-- demo-instruments` marker, as objects keyed by its header. */
function demoInstrumentsTable(): Record<string, string>[] {
  const after = doc.slice(doc.indexOf('<!-- demo-instruments'));
  const rows = after.split('\n').slice(1).filter((l, i, all) => l.startsWith('|') && all.slice(0, i).every((p) => p.startsWith('|')));
  const cells = (l: string) => l.split('|').slice(1, -1).map((c) => c.trim());
  const header = cells(rows[0]!);
  return rows.slice(2).map((r) => Object.fromEntries(cells(r).map((c, i) => [header[i]!, c])));
}

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.stop();
});

describe('docs/trading-rules.md', () => {
  it('lists the demo instruments exactly as GET /v1/instruments returns them, price band included', async () => {
    const { data } = (await (await fetch(`${svc.baseUrl}/v1/instruments`)).json()) as { data: Record<string, unknown>[] };
    const table = demoInstrumentsTable();
    expect(table.length).toBe(data.length);
    for (const row of table) {
      const api = data.find((i) => i.symbol === row.symbol);
      expect(api, row.symbol).toBeDefined();
      for (const [field, value] of Object.entries(row)) expect(String(api![field]), `${row.symbol}.${field}`).toBe(value);
    }
  });

  it('names the fields the API uses: every field in its instrument table is in the Instrument schema, and STP is selfTradePrevention', () => {
    const spec = JSON.parse(readFileSync(join(ROOT, 'generated/openapi.json'), 'utf8')) as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
    const start = doc.indexOf('| field | rule |', doc.indexOf('## Instruments'));
    const section = doc.slice(start, doc.indexOf('\n\n', start));
    const fields = [...section.matchAll(/^\| `(\w+)`(?:, `(\w+)`)? \|/gm)].flatMap((m) => [m[1]!, ...(m[2] ? [m[2]] : [])]);
    expect(fields).toContain('priceBandBps');
    for (const f of fields) expect(Object.keys(spec.components.schemas.Instrument!.properties), f).toContain(f);
    expect(Object.keys(spec.components.schemas.OrderRequest!.properties)).toContain('selfTradePrevention');
    expect(doc).not.toMatch(/order's `stp`/);
    expect(doc).toContain('`selfTradePrevention`');
  });
});
