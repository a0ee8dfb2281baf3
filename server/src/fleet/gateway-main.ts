/**
 * The gateway process entry of distributed mode (`tsx server/src/fleet/gateway-main.ts`):
 * configuration as for `npm start` (NATS_URL and FLEET_SHARD name the core it serves; STORES
 * must be `external`), stopped gracefully on SIGTERM or SIGINT.
 */
import { ConfigError, loadConfig } from '../config/load.js';
import { bannerText } from '../observability/banner.js';
import { createProcessLogger } from '../observability/logger.js';
import { GatewayConfigError, startGateway } from './gateway.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createProcessLogger({ level: config.logLevel, mode: config.mode, isTty: process.stdout.isTTY === true, pretty: process.env.LOG_PRETTY }).child({ role: 'gateway' });
  let gateway;
  try {
    gateway = await startGateway({ config, logger });
  } catch (err) {
    if (err instanceof GatewayConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  if (process.stderr.isTTY) process.stderr.write(bannerText(gateway.banner));
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
