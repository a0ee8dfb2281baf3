import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/src/config/load.js';
import { DEFAULT_CONFIG } from '../../server/src/config/schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'config-'));

describe('loadConfig', () => {
  it('starts from the embedded defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it('lets environment variables override defaults', () => {
    const c = loadConfig({ PORT: '9999', HOST: '0.0.0.0', DATA_DIR: '/var/lib/x', MODE: 'production', SECRETS_KEY: 'ab'.repeat(32), CORS_ORIGINS: 'https://a.test, https://b.test' });
    expect(c.http.port).toBe(9999);
    expect(c.http.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('/var/lib/x');
    expect(c.mode).toBe('production');
    expect(c.http.corsOrigins).toEqual(['https://a.test', 'https://b.test']);
  });

  it('reads a YAML file, and the environment wins over the file', () => {
    const file = join(tmp, 'c.yaml');
    writeFileSync(file, 'http:\n  port: 7000\n  bodyLimitBytes: 2048\nlogLevel: debug\n');
    const c = loadConfig({ CONFIG_FILE: file, PORT: '7001' });
    expect(c.http.port).toBe(7001);
    expect(c.http.bodyLimitBytes).toBe(2048);
    expect(c.http.host).toBe(DEFAULT_CONFIG.http.host);
    expect(c.logLevel).toBe('debug');
  });

  it('names the offending setting when a value is invalid', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/\/http\/port must be <= 65535/);
    expect(() => loadConfig({ MODE: 'staging' })).toThrow(/\/mode must be equal to one of the allowed values/);
  });

  it('rejects unknown keys and instruments on undeclared assets', () => {
    const unknownKey = join(tmp, 'unknown.json');
    writeFileSync(unknownKey, JSON.stringify({ http: { prot: 1 } }));
    expect(() => loadConfig({ CONFIG_FILE: unknownKey })).toThrow(/must NOT have additional properties/);
    const badAsset = join(tmp, 'asset.json');
    writeFileSync(badAsset, JSON.stringify({ assets: [{ asset: 'BTC', decimals: 8 }] }));
    expect(() => loadConfig({ CONFIG_FILE: badAsset })).toThrow(/BTC-USD uses an asset that is not in \/assets/);
  });

  it('refuses a default RFQ TTL above the longest one allowed, and accepts them equal', () => {
    const above = join(tmp, 'rfq-above.yaml');
    writeFileSync(above, 'rfq:\n  defaultTtlMs: 40000\n  maxTtlMs: 30000\n');
    expect(() => loadConfig({ CONFIG_FILE: above })).toThrow(ConfigError);
    expect(() => loadConfig({ CONFIG_FILE: above })).toThrow('/rfq/defaultTtlMs (40000) must not exceed /rfq/maxTtlMs (30000)');
    const equal = join(tmp, 'rfq-equal.yaml');
    writeFileSync(equal, 'rfq:\n  defaultTtlMs: 30000\n  maxTtlMs: 30000\n');
    expect(loadConfig({ CONFIG_FILE: equal }).rfq).toMatchObject({ defaultTtlMs: 30_000, maxTtlMs: 30_000 });
  });

  it('reports an unreadable or unparsable file clearly', () => {
    expect(() => loadConfig({ CONFIG_FILE: join(tmp, 'missing.yaml') })).toThrow(/Cannot read CONFIG_FILE/);
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{ not json');
    expect(() => loadConfig({ CONFIG_FILE: broken })).toThrow(/Cannot parse CONFIG_FILE/);
  });
});

describe('REST gateway workers', () => {
  it('are off by default and set by REST_WORKERS and REST_WORKERS_PORT', () => {
    expect(loadConfig({}).http).toMatchObject({ workers: 0, workersPort: 0 });
    expect(loadConfig({ REST_WORKERS: '2', REST_WORKERS_PORT: '8090' }).http).toMatchObject({ workers: 2, workersPort: 8090 });
  });

  it('reads them from a file too', () => {
    const file = join(tmp, 'workers.yaml');
    writeFileSync(file, 'http:\n  workers: 3\n  workersPort: 8091\n');
    expect(loadConfig({ CONFIG_FILE: file }).http).toMatchObject({ workers: 3, workersPort: 8091 });
  });

  it('refuses a bad count, a bad port, and the core port shared with the workers', () => {
    expect(() => loadConfig({ REST_WORKERS: 'two' })).toThrow(/REST_WORKERS must be an integer/);
    expect(() => loadConfig({ REST_WORKERS: '-1' })).toThrow(/\/http\/workers must be >= 0/);
    expect(() => loadConfig({ REST_WORKERS: '65' })).toThrow(/\/http\/workers must be <= 64/);
    expect(() => loadConfig({ REST_WORKERS_PORT: '70000' })).toThrow(/\/http\/workersPort must be <= 65535/);
    expect(() => loadConfig({ REST_WORKERS: '2', PORT: '8090', REST_WORKERS_PORT: '8090' })).toThrow(/\/http\/workersPort must differ from \/http\/port/);
    // Without workers the port is unused, and two ephemeral ports never collide.
    expect(loadConfig({ PORT: '8090', REST_WORKERS_PORT: '8090' }).http.workers).toBe(0);
    expect(loadConfig({ REST_WORKERS: '2', PORT: '0', REST_WORKERS_PORT: '0' }).http.workers).toBe(2);
  });
});

describe('production mode', () => {
  it('requires a secrets key', () => {
    expect(() => loadConfig({ MODE: 'production' })).toThrow(/\/secretsKey is required in production/);
    expect(loadConfig({ MODE: 'production', SECRETS_KEY: 'ab'.repeat(32) }).secretsKey).toBe('ab'.repeat(32));
  });
});
