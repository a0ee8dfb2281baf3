import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { startTestService } from '../helpers/service.js';
import { externalStoresEnv } from '../helpers/test-stores.js';

describe('graceful shutdown (in-process)', () => {
  it('lets an in-flight request finish, then refuses new connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const inHandler = new Promise<void>((r) => (arrived = r));
    const svc = await startTestService({
      handlerOverrides: {
        getServerTime: async () => {
          arrived();
          await gate;
          return { status: 200, body: { serverTime: 1, iso: new Date(1).toISOString() } };
        },
      },
    });
    const inFlight = fetch(`${svc.baseUrl}/v1/time`);
    await inHandler;
    const closing = svc.stop();
    // Readiness flips as soon as shutdown starts, and once the listener is closed a fresh request fails.
    await eventually(() => expect(fetch(`${svc.baseUrl}/health/live`, { headers: { connection: 'close' } })).rejects.toThrow());
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ serverTime: 1, iso: '1970-01-01T00:00:00.001Z' });
    await closing;
  });
});

describe('the real process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'proc-'));
  let child: ReturnType<typeof spawn>;
  let port = 0;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      env: { ...process.env, PORT: '0', DATA_DIR: dataDir, MODE: 'production', LOG_LEVEL: 'info', SECRETS_KEY: 'ab'.repeat(32), FIX_PORT: '0', ...externalStoresEnv(dataDir) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = createInterface({ input: child.stdout! });
    port = await new Promise<number>((resolve, reject) => {
      // A bound for a service that never starts, below the hook's; tsx start-up is slow on a busy machine.
      const timer = setTimeout(() => reject(new Error('service did not start')), 120_000);
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logLines.push(entry);
        if (entry.msg === 'REST gateway listening') {
          clearTimeout(timer);
          resolve(entry.port as number);
        }
      });
    });
  });
  afterAll(() => {
    child.kill('SIGKILL');
  });

  it('serves the API and writes one structured JSON log line per request', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/time`, { headers: { 'x-request-id': 'proc-test-1' } });
    expect(res.status).toBe(200);
    // pino writes asynchronously: the line may come after the response.
    const line = await eventually(() => {
      const found = logLines.find((l) => l.requestId === 'proc-test-1');
      expect(found).toBeDefined();
      return found;
    });
    expect(line).toMatchObject({ msg: 'request', operation: 'getServerTime', status: 200, method: 'GET', level: 30 });
  });

  it('exits 0 on SIGTERM after logging the shutdown', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logLines.some((l) => l.msg === 'service stopped')).toBe(true);
  });

  it('refuses to start with a clear message on bad configuration', async () => {
    const bad = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { env: { ...process.env, PORT: 'abc' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bad.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => bad.once('exit', (c) => resolve(c)));
    expect(code).toBe(78);
    expect(stderr).toMatch(/PORT must be an integer/);
  });
});
