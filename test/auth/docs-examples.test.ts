/**
 * Runs the signing examples of docs/authentication.md, exactly as written, against a real HTTP
 * server that verifies with the shared verifier. An example passes only if the server admitted it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryApiKeyStore, RequestVerifier, authApiError } from '../../server/src/auth/index.js';
import { ApiError } from '../../server/src/errors/api-error.js';
import { authenticate } from '../../server/src/gateway/rest/middleware/auth.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const doc = readFileSync(join(ROOT, 'docs/authentication.md'), 'utf8');

/** The fenced block right after `<!-- example: NAME -->`. */
function example(name: string): string {
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`[a-z]+\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (!match?.[1]) throw new Error(`docs/authentication.md has no example ${name}`);
  return match[1];
}

function pythonHasCryptography(): boolean {
  try {
    execFileSync('python3', ['-c', 'import cryptography'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const store = new MemoryApiKeyStore();
const verifier = new RequestVerifier({ store });
let server: ReturnType<ReturnType<typeof express>['listen']>;
let baseUrl: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auth-docs-'));
  const app = express();
  app.use(express.json({ type: () => true, verify: (req, _res, buf) => { (req as typeof req & { rawBody?: Buffer }).rawBody = buf; } }));
  app.post('/v1/orders', authenticate(verifier, 'trade'), (_req, res) => res.json({ admitted: res.locals.principal }));
  app.use(((err, _req, res, _next) => {
    const e = err instanceof ApiError ? err : authApiError('AUTH_UNAVAILABLE');
    res.status(e.status).json({ code: e.code });
  }) as express.ErrorRequestHandler);
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function credentials(kind: 'hmac' | 'ed25519'): Promise<{ keyId: string; env: Record<string, string> }> {
  if (kind === 'hmac') {
    const { record, secret } = await store.create({ accountId: 'docs', kind, label: 'docs', scopes: ['trade'] });
    return { keyId: record.keyId, env: { API_KEY: record.keyId, API_SECRET: secret! } };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const file = join(dir, `${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const { record } = await store.create({ accountId: 'docs', kind, label: 'docs', scopes: ['trade'], publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString() });
  return { keyId: record.keyId, env: { API_KEY: record.keyId, API_PRIVATE_KEY_FILE: file } };
}

const runners = {
  ts: (file: string) => [join(ROOT, 'node_modules/.bin/tsx'), [file]] as const,
  sh: (file: string) => ['bash', [file]] as const,
  py: (file: string) => ['python3', [file]] as const,
};
const extension = { ts: 'mts', sh: 'sh', py: 'py' };

const cases: [string, keyof typeof runners, 'hmac' | 'ed25519'][] = [
  ['ts-hmac', 'ts', 'hmac'],
  ['ts-ed25519', 'ts', 'ed25519'],
  ['sh-hmac', 'sh', 'hmac'],
  ['sh-ed25519', 'sh', 'ed25519'],
  ['py-hmac', 'py', 'hmac'],
  // The Ed25519 Python example needs the `cryptography` package; it runs wherever that is installed.
  ...(pythonHasCryptography() ? [['py-ed25519', 'py', 'ed25519'] as [string, 'py', 'ed25519']] : []),
];

describe('signing examples in docs/authentication.md', () => {
  it.each(cases)('%s is admitted by the verifier', async (name, lang, kind) => {
    const { keyId, env } = await credentials(kind);
    const file = join(dir, `${name}.${extension[lang]}`);
    writeFileSync(file, example(name));
    const [cmd, args] = runners[lang](file);
    const { stdout } = await run(cmd, [...args], {
      cwd: dir,
      timeout: 100_000,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, NO_PROXY: '*', BASE_URL: baseUrl, ...env },
    });
    expect(stdout).toContain('200');
    expect(stdout).toContain(`"keyId":"${keyId}"`);
    expect(stdout).toContain('"accountId":"docs"');
  });

  it('an example signed with the wrong secret is refused, so the check above can fail', async () => {
    const { env } = await credentials('hmac');
    const file = join(dir, 'wrong.sh');
    writeFileSync(file, example('sh-hmac'));
    const { stdout } = await run('bash', [file], { cwd: dir, timeout: 100_000, env: { PATH: process.env.PATH ?? '', BASE_URL: baseUrl, ...env, API_SECRET: 'A'.repeat(43) } });
    expect(stdout).toContain('AUTH_INVALID');
    expect(stdout).toContain('401');
  });
});
