/**
 * The process entry point: `npm start`. Loads configuration, starts the service, and shuts it
 * down gracefully on SIGTERM or SIGINT (in-flight requests finish first).
 */
import { bannerText } from './observability/banner.js';
import { runProcess } from './process/entry.js';
import { startService } from './service.js';

runProcess(async ({ config, logger }) => {
  const service = await startService({ config, logger });
  // A person at a terminal gets the URLs and the credentials' whereabouts as plain text too.
  if (process.stderr.isTTY) process.stderr.write(bannerText(service.banner));
  return service;
});
