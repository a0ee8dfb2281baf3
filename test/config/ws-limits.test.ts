/** The WebSocket limits are settings: loaded from the config file, validated, and passed to the gateway by the service. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../../server/src/config/load.js';
import { DEFAULT_CONFIG } from '../../server/src/config/schema.js';
import { DEFAULT_WS_CONFIG } from '../../server/src/gateway/ws/config.js';
import { startTestService, type TestService } from '../helpers/service.js';

const tmp = mkdtempSync(join(tmpdir(), 'ws-limits-'));

describe('WebSocket limits in the configuration', () => {
  it('default to the gateway defaults and are read from a file', () => {
    expect(loadConfig({}).ws.maxConnectionsPerIp).toBe(DEFAULT_WS_CONFIG.maxConnectionsPerIp);
    const file = join(tmp, 'ws.yaml');
    writeFileSync(file, 'ws:\n  maxConnectionsPerIp: 3\n  maxConnections: 7\n  maxSubscriptions: 9\n  maxFrameBytes: 4096\n  maxRefusedPerSecond: 5\n');
    const ws = loadConfig({ CONFIG_FILE: file }).ws;
    expect(ws).toMatchObject({ maxConnectionsPerIp: 3, maxConnections: 7, maxSubscriptions: 9, maxFrameBytes: 4096, maxRefusedPerSecond: 5 });
    expect(ws.maxConnectionsPerKey).toBe(DEFAULT_WS_CONFIG.maxConnectionsPerKey);
  });

  it('names a bad or unknown limit', () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'ws:\n  maxConnectionsPerIp: 0\n');
    expect(() => loadConfig({ CONFIG_FILE: file })).toThrow(/\/ws\/maxConnectionsPerIp must be >= 1/);
    writeFileSync(file, 'ws:\n  maxSockets: 3\n');
    expect(() => loadConfig({ CONFIG_FILE: file })).toThrow(ConfigError);
  });
});

/** Opens a connection: resolves with the welcome frame's limits, or the refused upgrade's status. */
function connect(svc: TestService) {
  return new Promise<{ ws?: WebSocket; status?: number; limits?: Record<string, number> }>((resolve, reject) => {
    const ws = new WebSocket(`${svc.baseUrl.replace('http', 'ws')}/v1/ws`);
    ws.once('message', (data) => resolve({ ws, limits: (JSON.parse(data.toString()) as { limits: Record<string, number> }).limits }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', reject);
  });
}

describe.each([
  ['per client IP (429)', { maxConnectionsPerIp: 2, maxConnections: 10, maxFrameBytes: 8192 }, 429],
  ['in total (503)', { maxConnectionsPerIp: 10, maxConnections: 2, maxFrameBytes: 8192 }, 503],
])('the service applies the connection limit %s', (_name, limits, status) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ config: { ws: { ...DEFAULT_CONFIG.ws, ...limits } } });
  });
  afterAll(async () => svc?.stop());

  it('refuses the connection beyond the configured limit, and announces the configured frame size', async () => {
    const a = await connect(svc);
    const b = await connect(svc);
    expect(a.limits?.maxFrameBytes).toBe(8192);
    expect((await connect(svc)).status).toBe(status);
    a.ws!.close();
    b.ws!.close();
  });
});
