/**
 * The Python SDK's pytest suite (sdk-python/tests) against a live demo market with its market
 * maker: Debian's python3 with python3-cryptography, python3-websockets and python3-pytest
 * (installed by .ci/run). The suite must run tests and pass them all: pytest's exit code 5 (no
 * tests collected) fails here like any other.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PYTHON = '/usr/bin/python3';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ demoBot: true });
});
afterAll(async () => {
  await svc?.stop();
});

describe('sdk-python', () => {
  it('passes its pytest suite against the live demo market', async () => {
    const trader = await svc.createTrader('python-sdk');
    const outcome = await new Promise<{ code: number | null; out: string }>((done) => {
      execFile(
        PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'sdk-python/tests'],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BASE_URL: svc.baseUrl, API_KEY: trader.keyId, API_SECRET: trader.secret }, timeout: 180_000 },
        (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: `${stdout}\n${stderr}` }),
      );
    });
    expect(outcome.code, outcome.out).toBe(0);
    const passed = /(\d+) passed/.exec(outcome.out);
    expect(Number(passed?.[1] ?? 0), outcome.out).toBeGreaterThanOrEqual(12);
    expect(outcome.out).not.toMatch(/failed|error|skipped/i);
  }, 240_000);
});
