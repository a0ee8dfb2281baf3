/**
 * The console a person sees: a banner with the URLs and the demo credentials' file, readable
 * lines on a terminal in demo mode, JSON elsewhere, and routine health checks and scrapes at debug.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bannerText, serviceUrls, type BannerInput } from '../../server/src/observability/banner.js';
import { createLogger, logFormat } from '../../server/src/observability/logger.js';
import { routineLevel } from '../../server/src/gateway/rest/request-context.js';
import { eventually } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';

const input: BannerInput = {
  host: '0.0.0.0', httpPort: 8080, fixPort: 9878, fixCompId: 'EXCHANGE', mode: 'demo', dataDir: './data',
  demoCredentialsFile: 'data/demo-credentials.json', operatorCredentialsFile: 'data/operator-credentials.json',
};

describe('the start-up banner', () => {
  it('names reachable URLs for the docs, REST, WebSocket, FIX and metrics, and where the demo key is', () => {
    expect(serviceUrls(input)).toEqual({
      docs: 'http://127.0.0.1:8080/docs', rest: 'http://127.0.0.1:8080/v1', websocket: 'ws://127.0.0.1:8080/v1/ws',
      metrics: 'http://127.0.0.1:8080/metrics', health: 'http://127.0.0.1:8080/health/ready', fix: 'tcp://127.0.0.1:9878 (TargetCompID EXCHANGE)',
    });
    const text = bannerText(input);
    expect(text).toContain('http://127.0.0.1:8080/docs');
    expect(text).toContain('data/demo-credentials.json');
    expect(bannerText({ ...input, mode: 'production', demoCredentialsFile: undefined })).not.toContain('demo key');
  });
});

describe('the log format', () => {
  it('is pretty only on a terminal in demo mode (or when asked), JSON otherwise', () => {
    const installed = () => true;
    expect(logFormat({ level: 'info', mode: 'demo', isTty: true }, installed)).toBe('pretty');
    expect(logFormat({ level: 'info', mode: 'demo', isTty: false }, installed)).toBe('json');
    expect(logFormat({ level: 'info', mode: 'production', isTty: true }, installed)).toBe('json');
    expect(logFormat({ level: 'info', mode: 'demo', isTty: true, pretty: '0' }, installed)).toBe('json');
    expect(logFormat({ level: 'info', mode: 'production', isTty: false, pretty: '1' }, installed)).toBe('pretty');
    // Without the development dependency installed, always JSON.
    expect(logFormat({ level: 'info', mode: 'demo', isTty: true }, () => false)).toBe('json');
  });

  it('finds pino-pretty installed here, as `npm ci` installs it', () => {
    expect(logFormat({ level: 'info', mode: 'demo', isTty: true })).toBe('pretty');
  });

  it('logs health checks and metrics scrapes at debug and every API request at info', () => {
    for (const path of ['/health/live', '/health/ready', '/metrics']) expect(routineLevel(path), path).toBe('debug');
    for (const path of ['/v1/time', '/v1/orders', '/docs', '/metrics/x']) expect(routineLevel(path), path).toBe('info');
  });
});

describe('a running service\'s log', () => {
  const lines: Record<string, unknown>[] = [];
  let svc: TestService;
  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); done(); } });
    svc = await startTestService({ logger: createLogger('info', sink) });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('says once where everything is, and leaves health checks and scrapes out at info', async () => {
    const ready = lines.find((l) => l.msg === 'service ready') as { urls: Record<string, string>; demoCredentials: string } | undefined;
    expect(ready?.urls.docs).toBe(`${svc.baseUrl}/docs`);
    expect(ready?.demoCredentials).toBe(`${svc.dataDir}/demo-credentials.json`);
    for (const path of ['/health/live', '/health/ready', '/metrics', '/v1/time']) await (await fetch(svc.baseUrl + path)).text();
    const logged = () => lines.filter((l) => l.msg === 'request').map((l) => l.path);
    await eventually(() => expect(logged()).toContain('/v1/time'), { timeoutMs: 30_000, intervalMs: 20 });
    expect(logged()).toEqual(['/v1/time']);
  });
});
