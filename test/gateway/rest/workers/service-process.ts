/**
 * Runs `server/src/main.ts` as a real process with REST workers, and talks to it over real
 * sockets with signed requests. Every request opens a connection of its own, so consecutive
 * requests to the workers' port reach the workers in turn (the cluster hands out connections
 * round-robin), and the workers' log lines (`restWorker`, `pid`) tell which one served it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { signedHeaders, type HmacCredentials, type SignedRequestOptions } from '../../../helpers/signing.js';

export type LogLine = Record<string, unknown> & { msg?: string };

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One request on a connection of its own. */
export function send(port: number, method: string, path: string, headers: Record<string, string>, bodyText = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(bodyText);
  });
}

/** A signed request on a connection of its own. */
export function signed(port: number, creds: HmacCredentials, method: string, path: string, opts: SignedRequestOptions = {}): Promise<Reply> {
  const bodyText = opts.body === undefined ? '' : JSON.stringify(opts.body);
  return send(port, method, path, signedHeaders(creds, method, path, bodyText, opts), bodyText);
}

export interface ServiceProcess {
  child: ChildProcess;
  dataDir: string;
  /** The core process's own REST port. */
  corePort: number;
  workersPort: number;
  operator: HmacCredentials;
  logs: LogLine[];
  /** Waits for a log line matching `match` (searching those already seen first). */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The worker (its `restWorker` id) whose log line carries this request id. */
  servedBy(requestId: string): Promise<unknown>;
  /** Pids of the workers that logged `REST worker listening` and have not exited since. */
  workerPids(): number[];
  /** A funded account with a read+trade HMAC key, made through the core process. */
  createTrader(accountId: string): Promise<HmacCredentials>;
}

export async function startServiceProcess(env: Record<string, string>, configYaml?: string): Promise<ServiceProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rest-workers-'));
  const configFile = join(dataDir, 'config.yaml');
  if (configYaml) writeFileSync(configFile, configYaml);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: {
      ...process.env, PORT: '0', FIX_PORT: '0', DATA_DIR: dataDir, MODE: 'production', LOG_LEVEL: 'info', SECRETS_KEY: 'ab'.repeat(32),
      ...(configYaml && { CONFIG_FILE: configFile }), ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    logs.push(line);
    for (const w of waiters) {
      if (w.match(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  // Bounds for a line that never comes: a worker forked on a busy machine takes a while to load.
  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (l: LogLine) => { clearTimeout(timer); resolve(l); } };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error('no such log line in time'));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const workersListening = await waitForLog((l) => l.msg === 'REST workers listening', 150_000);
  // Each worker's own line may reach the shared stdout after the core's summary.
  const started = new Set<unknown>();
  while (started.size < Number(env.REST_WORKERS)) {
    started.add((await waitForLog((l) => l.msg === 'REST worker listening' && !started.has(l.pid))).pid);
  }
  const coreListening = await waitForLog((l) => l.msg === 'REST gateway listening');
  const operator = JSON.parse(readFileSync(join(dataDir, 'operator-credentials.json'), 'utf8')) as HmacCredentials;
  const corePort = coreListening.port as number;

  const asOperator = async (method: string, path: string, body: unknown): Promise<Reply> => {
    for (;;) {
      const res = await signed(corePort, operator, method, path, { body });
      if (res.status !== 429) return res;
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers['retry-after'] ?? 1)));
    }
  };

  return {
    child, dataDir, corePort, workersPort: workersListening.port as number, operator, logs, waitForLog,
    servedBy: async (requestId) => (await waitForLog((l) => l.msg === 'request' && l.requestId === requestId)).restWorker,
    workerPids: () => {
      const exited = new Set(logs.filter((l) => l.msg === 'REST worker exited; starting a replacement').map((l) => l.pid));
      return logs.filter((l) => l.msg === 'REST worker listening' && !exited.has(l.pid)).map((l) => l.pid as number);
    },
    createTrader: async (accountId) => {
      const expect = async (res: Promise<Reply>, status: number) => {
        const r = await res;
        if (r.status !== status) throw new Error(`${status} expected: ${r.status} ${JSON.stringify(r.body)}`);
        return r;
      };
      await expect(asOperator('POST', '/v1/operator/accounts', { accountId }), 201);
      await expect(asOperator('POST', `/v1/operator/accounts/${accountId}/deposits`, { asset: 'USD', amount: '1000000' }), 200);
      const key = await expect(asOperator('POST', `/v1/operator/accounts/${accountId}/api-keys`, { label: 'test', scopes: ['read', 'trade'] }), 201);
      return { keyId: key.body.key.keyId, secret: key.body.secret };
    },
  };
}
