/**
 * Routes outside the versioned API: health checks, Prometheus metrics, the hosted docs and the
 * contract itself. None of them is rate limited or authenticated; none touches trading state.
 */
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import type { HttpMetrics } from '../../observability/metrics.js';
import { docsRouter } from './docs-site.js';
import { sdkReferenceRouter } from './sdk-reference.js';
import { generatedPath } from './spec.js';

/** What /health/ready reports; `ready` false answers 503 so load balancers stop routing here. */
export interface Readiness { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> }

export function serviceRouter(opts: { metrics: HttpMetrics; readiness: () => Readiness }): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', (_req, res) => {
    const r = opts.readiness();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
  });
  router.get('/metrics', async (_req, res) => {
    let text: string;
    try {
      text = await opts.metrics.exposition();
    } catch {
      // The other processes' metrics could not be had (REST workers): the scrape fails rather than
      // answer a sum with a live worker missing, which Prometheus would take for counters reset.
      res.status(503).type('text/plain').send('metrics unavailable\n');
      return;
    }
    res.type(opts.metrics.registry.contentType).send(text);
  });

  // The contract, as served to tools and SDK generators.
  const specJson = readFileSync(generatedPath('openapi.json'));
  const specYaml = readFileSync(generatedPath('openapi.yaml'));
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(specJson);
  });
  router.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(specYaml);
  });
  // The Postman collection, its BASE_URL pointed at the server that answered.
  const postman = JSON.parse(readFileSync(generatedPath('postman.json'), 'utf8')) as { variable: { key: string; value: string }[] };
  router.get('/postman.json', (req, res) => {
    const variable = postman.variable.map((v) => (v.key === 'BASE_URL' ? { ...v, value: `${req.protocol}://${req.get('host')}` } : v));
    res.type('application/json').send(JSON.stringify({ ...postman, variable }, null, 2));
  });

  // The hosted docs: landing page, REST and WebSocket references, guides (see docs-site.ts).
  router.use(sdkReferenceRouter());
  router.use(docsRouter());
  return router;
}
