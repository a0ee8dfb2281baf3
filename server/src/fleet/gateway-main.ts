/**
 * The gateway process entry of distributed mode (`tsx server/src/fleet/gateway-main.ts`):
 * configuration as for `npm start` (NATS_URL and FLEET_SHARD name the core it serves; STORES
 * must be `external`), stopped gracefully on SIGTERM or SIGINT.
 */
import { bannerText } from '../observability/banner.js';
import { runProcess } from '../process/entry.js';
import { startGateway } from './gateway.js';

runProcess(async ({ config, logger }) => {
  const gateway = await startGateway({ config, logger: logger.child({ role: 'gateway' }) });
  if (process.stderr.isTTY) process.stderr.write(bannerText(gateway.banner));
  return gateway;
});
