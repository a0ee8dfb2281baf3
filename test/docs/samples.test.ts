/**
 * Runs every marked sample of docs/*.md (`<!-- sample: NAME -->` before the fence) against a
 * live demo market, as an integrator would: a fresh process (bash, python3, or tsx), the server's
 * address and a freshly created API key in BASE_URL, API_KEY and API_SECRET, and nothing else.
 * A sample passes when it exits 0; the samples fail on any refused request (`curl
 * --fail-with-body`, an exception), and a signed sample must fail with a wrong secret, which
 * shows it really checks the server's answer. The signing examples of docs/authentication.md
 * have their own test (test/auth/docs-examples.test.ts) and use another marker.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoMarketQuoted } from '../helpers/demo-market.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { docsSamples, extractSamples, type Sample } from './samples.js';

const ROOT = resolve(import.meta.dirname, '../..');
const samples = docsSamples(join(ROOT, 'docs'));

/**
 * Packages the samples import by their published name, and where they live in this repository:
 * the sample is run unchanged except that its import points at the source.
 */
const LOCAL_PACKAGES: Record<string, string> = { '@trading-api/sdk': join(ROOT, 'sdk/src/index.ts') };

interface Outcome { code: number | null; stdout: string; stderr: string }

function runSample(sample: Sample, dir: string, env: Record<string, string>): Promise<Outcome> {
  let file: string;
  let command: string;
  let args: string[];
  if (sample.language === 'ts') {
    let code = sample.code;
    for (const [name, path] of Object.entries(LOCAL_PACKAGES)) code = code.replaceAll(`'${name}'`, JSON.stringify(path)).replaceAll(`"${name}"`, JSON.stringify(path));
    file = join(dir, `${sample.name}.mts`);
    writeFileSync(file, code);
    command = join(ROOT, 'node_modules/.bin/tsx');
    args = [file];
  } else if (sample.language === 'python') {
    file = join(dir, `${sample.name}.py`);
    writeFileSync(file, sample.code);
    command = 'python3';
    args = [file];
  } else {
    file = join(dir, `${sample.name}.sh`);
    writeFileSync(file, sample.code);
    command = 'bash';
    args = ['-eo', 'pipefail', file];
  }
  return new Promise((done) => {
    // The limit only stops a hung sample (a tsx or python start-up takes seconds on a busy machine).
    execFile(command, args, { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env }, timeout: 100_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function describeOutcome(sample: Sample, o: Outcome): string {
  return `${sample.file}:${sample.line} (${sample.name}) exited ${o.code}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;
}

describe('sample extraction', () => {
  it('takes the fenced block after each marker, with its language, and ignores unmarked blocks', () => {
    const md = ['# T', '```sh', 'echo unmarked', '```', '<!-- sample: one -->', '```python', 'print(1)', '```', 'text', '<!-- sample: two -->', '```ts', 'console.log(2);', '```'].join('\n');
    expect(extractSamples(md, 'x.md')).toEqual([
      { file: 'x.md', line: 5, name: 'one', language: 'python', code: 'print(1)\n' },
      { file: 'x.md', line: 10, name: 'two', language: 'ts', code: 'console.log(2);\n' },
    ]);
  });

  it('refuses a marker without a fenced block, or in a language it cannot run', () => {
    expect(() => extractSamples('<!-- sample: lost -->\nplain text\n', 'x.md')).toThrow(/not followed by a fenced code block/);
    expect(() => extractSamples('<!-- sample: rb -->\n```ruby\nputs 1\n```\n', 'x.md')).toThrow(/cannot run/);
  });

  it('finds the quickstart samples in curl, TypeScript and Python', () => {
    const quickstart = samples.filter((s) => s.file === 'docs/quickstart.md');
    expect(new Set(quickstart.map((s) => s.language))).toEqual(new Set(['sh', 'ts', 'python']));
    expect(quickstart.some((s) => s.language === 'sh' && s.code.includes('curl'))).toBe(true);
    expect(quickstart.some((s) => s.language === 'ts' && s.code.includes('@trading-api/sdk'))).toBe(true);
  });
});

describe('every marked sample in docs/*.md runs against a live server', () => {
  let svc: TestService;
  let dir: string;
  let accounts = 0;

  beforeAll(async () => {
    // The demo market an integrator starts with `npm start`: the market maker keeps the books
    // two-sided, so samples price their orders from the live book, inside the price band.
    svc = await startTestService({ demoBot: true });
    dir = mkdtempSync(join(tmpdir(), 'docs-samples-'));
    await demoMarketQuoted(svc.baseUrl, 'BTC-USD');
  });
  afterAll(async () => {
    await svc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A funded account and a read+trade key of its own, so samples never share state. */
  async function environment(): Promise<Record<string, string>> {
    const trader = await svc.createTrader(`docs-sample-${++accounts}`);
    return { BASE_URL: svc.baseUrl, API_KEY: trader.keyId, API_SECRET: trader.secret };
  }

  for (const sample of samples) {
    it(`${sample.file}: ${sample.name} (${sample.language})`, async () => {
      const outcome = await runSample(sample, dir, await environment());
      expect(outcome.code, describeOutcome(sample, outcome)).toBe(0);
      expect(outcome.stdout.trim(), describeOutcome(sample, outcome)).not.toBe('');
    });

    if (sample.code.includes('API_SECRET')) {
      it(`${sample.file}: ${sample.name} fails when the secret is wrong`, async () => {
        const env = { ...(await environment()), API_SECRET: randomBytes(32).toString('base64url') };
        const outcome = await runSample(sample, dir, env);
        expect(outcome.code, describeOutcome(sample, outcome)).not.toBe(0);
        expect(`${outcome.stdout}${outcome.stderr}`).toMatch(/AUTH_INVALID/);
      });
    }
  }
});
