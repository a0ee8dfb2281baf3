/**
 * What every process entry (`main.ts`, the fleet's `core-main.ts` and `gateway-main.ts`) does the
 * same way: read the configuration or stop with EX_CONFIG, make the process logger, stop
 * gracefully on SIGTERM or SIGINT, and report a failed start-up on stderr with exit code 1.
 */
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createProcessLogger, type Logger } from '../observability/logger.js';

/** sysexits.h: a configuration error; process managers should not restart in a loop on it. */
export const EX_CONFIG = 78;

/** Thrown by a start-up step whose message is for the operator as it is (a bad setting). */
export class StartupConfigError extends Error {}

export interface ProcessContext {
  config: Config;
  logger: Logger;
}

export interface Stoppable {
  close(): Promise<void>;
}

/**
 * Runs `start` with the configuration and the logger, then closes what it returned on the first
 * SIGTERM or SIGINT and exits 0 (1 when closing fails). Configuration errors print their message
 * alone and exit 78; any other start-up failure prints its stack and exits 1.
 */
export function runProcess(start: (context: ProcessContext) => Promise<Stoppable>): void {
  const run = async (): Promise<void> => {
    let config: Config;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) exitWithConfigError(err);
      throw err;
    }
    const logger = createProcessLogger({ level: config.logLevel, mode: config.mode, isTty: process.stdout.isTTY === true, pretty: process.env.LOG_PRETTY });
    let running: Stoppable;
    try {
      running = await start({ config, logger });
    } catch (err) {
      if (err instanceof StartupConfigError) exitWithConfigError(err);
      throw err;
    }
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      running.close().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  };
  run().catch((err: unknown) => {
    process.stderr.write(`Start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

function exitWithConfigError(err: Error): never {
  process.stderr.write(`${err.message}\n`);
  process.exit(EX_CONFIG);
}
