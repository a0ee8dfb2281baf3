/**
 * The process entry point: `npm start`. Loads configuration, starts the service, and shuts it
 * down gracefully on SIGTERM or SIGINT (in-flight requests finish first).
 */
import { ConfigError, loadConfig } from './config/load.js';
import { bannerText } from './observability/banner.js';
import { createProcessLogger } from './observability/logger.js';
import { startService } from './service.js';

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
  const logger = createProcessLogger({ level: config.logLevel, mode: config.mode, isTty: process.stdout.isTTY === true, pretty: process.env.LOG_PRETTY });
  const service = await startService({ config, logger });
  // A person at a terminal gets the URLs and the credentials' whereabouts as plain text too.
  if (process.stderr.isTTY) process.stderr.write(bannerText(service.banner));
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    service.close().then(
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
