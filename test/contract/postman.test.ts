/**
 * The Postman collection served at /postman.json, run with newman (the Postman CLI runner) as a
 * separate process against a fresh demo market: every request in order, signed by the
 * collection's pre-request script, each answered with its documented success status.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRequests } from '../../scripts/codegen/example-flow.js';
import { POSTMAN_SCHEMA } from '../../scripts/codegen/postman.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { demoMarketQuoted } from '../helpers/demo-market.js';

const ROOT = resolve(import.meta.dirname, '../..');
const spec = JSON.parse(readFileSync(join(ROOT, 'generated/openapi.json'), 'utf8'));
const NEWMAN = join(ROOT, 'node_modules/.bin/newman');

interface NewmanReport {
  run: {
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } };
    executions: { item: { name: string }; response?: { code: number }; assertions?: { assertion: string; error?: { message: string } }[] }[];
    failures: { error: { message: string }; source?: { name?: string } }[];
  };
}

describe('the Postman collection', () => {
  let svc: TestService;
  let dir: string;
  let collection: { info: { schema: string }; variable: { key: string; value: string }[]; item: { name: string }[] };

  beforeAll(async () => {
    svc = await startTestService({ demoBot: true });
    dir = mkdtempSync(join(tmpdir(), 'postman-'));
    await demoMarketQuoted(svc.baseUrl);
    const res = await fetch(`${svc.baseUrl}/postman.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    collection = (await res.json()) as typeof collection;
  });
  afterAll(async () => {
    await svc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is served at /postman.json as a v2.1 collection, one request per step of the example flow, pointed at the server that answered', () => {
    expect(collection.info.schema).toBe(POSTMAN_SCHEMA);
    expect(collection.item).toHaveLength(exampleRequests(spec).length);
    expect(collection.variable.find((v) => v.key === 'BASE_URL')?.value).toBe(svc.baseUrl);
  });

  it('runs with newman against a fresh demo market: every request signed and answered with its documented status', async () => {
    const file = join(dir, 'collection.json');
    const report = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify(collection));
    const outcome = await new Promise<{ code: number | null; out: string }>((done) => {
      execFile(
        NEWMAN,
        ['run', file, '--env-var', `OPERATOR_KEY=${svc.operator.keyId}`, '--env-var', `OPERATOR_SECRET=${svc.operator.secret}`,
          '--reporters', 'cli,json', '--reporter-json-export', report, '--timeout-request', '60000', '--color', 'off', '--disable-unicode'],
        { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir }, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: `${stdout}\n${stderr}` }),
      );
    });
    expect(existsSync(report), `newman wrote no report (exit ${outcome.code}):\n${outcome.out.slice(-4000)}`).toBe(true);
    const { run } = JSON.parse(readFileSync(report, 'utf8')) as NewmanReport;
    const failures = run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.message}`).join('\n');
    expect(outcome.code, `${failures}\n${outcome.out.slice(-4000)}`).toBe(0);
    expect(run.failures, failures).toEqual([]);
    expect(run.stats.requests.total).toBe(collection.item.length);
    expect(run.stats.assertions.total).toBe(collection.item.length);
    // The private requests passed, so the pre-request script signed them as the server checks.
    expect(run.executions.filter((e) => e.item.name === 'Get balances').map((e) => e.response?.code)).toEqual([200]);
  }, 320_000);
});
