/**
 * The code samples of the REST reference (x-codeSamples in generated/openapi.json), executed:
 * for each language, the example flow is walked on a fresh demo market with each step's sample
 * run as its own process (bash with curl and openssl, tsx, python3), given only BASE_URL, the
 * key (API_KEY, API_SECRET: the demo account's, or the operator's for operator steps) and the ids
 * earlier steps printed. A sample passes when it exits 0 and prints a body that matches the
 * contract. An operation's later steps (another request example) run the sample the same
 * generator writes for that example. The TypeScript samples also type-check against the SDK.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeSample, SAMPLE_LANGUAGES, type SampleLanguage } from '../../scripts/codegen/code-samples.js';
import { CREDENTIAL_VARIABLES, exampleRequests, pointer, type ExampleRequest } from '../../scripts/codegen/example-flow.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { demoMarketQuoted } from '../helpers/demo-market.js';
import { SpecValidator } from './spec-validator.js';

const ROOT = resolve(import.meta.dirname, '../..');
const spec = JSON.parse(readFileSync(join(ROOT, 'generated/openapi.json'), 'utf8'));
const requests = exampleRequests(spec);
const validator = new SpecValidator(spec);
const LANGUAGES = Object.keys(SAMPLE_LANGUAGES) as SampleLanguage[];
/** Debian's python3, which has the SDK's dependencies (python3-cryptography, python3-websockets; .ci/run). */
const PYTHON = '/usr/bin/python3';

/** The sample as the served contract shows it (an operation's first step), else as generated for this step. */
function sampleFor(r: ExampleRequest, language: SampleLanguage): string {
  const firstStep = requests.find((x) => x.operationId === r.operationId) === r;
  if (!firstStep) return codeSample(r, language);
  const operation = spec.paths[r.pathTemplate][r.method.toLowerCase()];
  const shown = (operation['x-codeSamples'] as { label: string; source: string }[] | undefined)?.find((s) => s.label === SAMPLE_LANGUAGES[language].label);
  if (!shown) throw new Error(`${r.operationId} has no ${SAMPLE_LANGUAGES[language].label} sample in generated/openapi.json`);
  return shown.source;
}

interface Outcome { code: number | null; stdout: string; stderr: string }

function run(language: SampleLanguage, source: string, dir: string, name: string, env: Record<string, string>): Promise<Outcome> {
  const file = join(dir, `${name}.${language === 'curl' ? 'sh' : language === 'python' ? 'py' : 'mts'}`);
  // The published package name points at the source in this repository; nothing else changes.
  writeFileSync(file, language === 'typescript' ? source.replaceAll("'@trading-api/sdk'", JSON.stringify(join(ROOT, 'sdk/src/index.ts'))) : source);
  const [command, args] = language === 'curl' ? ['bash', ['-euo', 'pipefail', file]] : language === 'python' ? [PYTHON, [file]] : [join(ROOT, 'node_modules/.bin/tsx'), [file]];
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...(language === 'python' && { PYTHONPATH: join(ROOT, 'sdk-python') }) };
  return new Promise((done) => {
    execFile(command as string, args as string[], { cwd: dir, env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0, stdout, stderr });
    });
  });
}

describe('the TypeScript SDK samples', () => {
  it('type-check against the SDK, and the check does catch a call the contract does not have', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'code-samples-tsc-'));
    try {
      const files: string[] = [];
      for (const r of requests.filter((x, i) => requests.findIndex((y) => y.operationId === x.operationId) === i)) {
        files.push(`${r.operationId}.mts`);
        writeFileSync(join(dir, `${r.operationId}.mts`), sampleFor(r, 'typescript'));
      }
      // A control: a path the contract does not have must be refused, or the check proves nothing.
      writeFileSync(join(dir, 'control.mts'), "import { RestClient } from '@trading-api/sdk';\nawait new RestClient().raw.GET('/v1/no-such-path');\n");
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
          types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')], paths: { '@trading-api/sdk': [join(ROOT, 'sdk/src/index.ts')] },
        },
        include: ['*.mts'],
      }));
      const out = await new Promise<string>((done) => {
        execFile(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir, timeout: 110_000 }, (_err, stdout, stderr) => done(`${stdout}${stderr}`));
      });
      const erring = new Set([...out.matchAll(/^(\S+?\.mts)\(/gm)].map((m) => m[1]!));
      expect([...erring], out).toEqual(['control.mts']);
      expect(files.length).toBe(new Set(requests.map((r) => r.operationId)).size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const language of LANGUAGES) {
  describe(`${SAMPLE_LANGUAGES[language].label} samples of every operation, run on a fresh demo market`, () => {
    let svc: TestService;
    let dir: string;
    const vars: Record<string, string> = {};

    beforeAll(async () => {
      svc = await startTestService({ demoBot: true });
      dir = mkdtempSync(join(tmpdir(), `code-samples-${language}-`));
      await demoMarketQuoted(svc.baseUrl);
    });
    afterAll(async () => {
      await svc?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    function environment(r: ExampleRequest): Record<string, string> {
      const key: Record<string, string> = r.auth === 'operator' ? { API_KEY: svc.operator.keyId, API_SECRET: svc.operator.secret } : {};
      return { BASE_URL: svc.baseUrl, ...vars, ...key };
    }

    requests.forEach((r, i) => {
      const label = `${i + 1}. ${r.operationId}${r.step.example ? ` (${r.step.example})` : ''}`;
      it(`${label} runs and prints a ${r.status} body that matches the contract`, async () => {
        const outcome = await run(language, sampleFor(r, language), dir, `${String(i + 1).padStart(2, '0')}-${r.operationId}`, environment(r));
        const context = `${label}: exit ${outcome.code}\n--- stdout\n${outcome.stdout}\n--- stderr\n${outcome.stderr}`;
        expect(outcome.code, context).toBe(0);
        const body = JSON.parse(outcome.stdout) as unknown;
        expect(validator.checkBody(r.operationId, r.status, body), context).toEqual([]);
        for (const [variable, ptr] of Object.entries(r.step.capture ?? {})) vars[variable] = pointer(body, ptr);
      });
    });

    it('a signed sample fails, naming AUTH_INVALID, when the secret is wrong', async () => {
      const r = requests.find((x) => x.operationId === 'getBalances')!;
      const env = { ...environment(r), [CREDENTIAL_VARIABLES.secret]: randomBytes(32).toString('base64url') };
      const outcome = await run(language, sampleFor(r, language), dir, 'wrong-secret', env);
      expect(outcome.code).not.toBe(0);
      expect(`${outcome.stdout}${outcome.stderr}`).toMatch(/AUTH_INVALID/);
    });
  });
}
