/** Starts a whole service in-process on an ephemeral port, with response validation on. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../server/src/config/load.js';
import { DEFAULT_CONFIG, type Config } from '../../server/src/config/schema.js';
import { createLogger } from '../../server/src/observability/logger.js';
import { startService, type RunningService, type ServiceOptions } from '../../server/src/service.js';

export interface TestService extends RunningService {
  baseUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestService(overrides: Partial<Omit<ServiceOptions, 'config' | 'logger'>> & { config?: Partial<Config> } = {}): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'svc-'));
  const config = validateConfig({ ...structuredClone(DEFAULT_CONFIG), ...overrides.config, dataDir, http: { ...DEFAULT_CONFIG.http, port: 0, ...overrides.config?.http } });
  const { config: _ignored, ...rest } = overrides;
  const service = await startService({ config, logger: createLogger('silent'), validateResponses: true, ...rest });
  return {
    ...service,
    baseUrl: `http://127.0.0.1:${service.httpPort}`,
    dataDir,
    stop: async () => {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
