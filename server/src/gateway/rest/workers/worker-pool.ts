/**
 * Starts and looks after the REST gateway workers of the core process (node:cluster): N worker
 * processes sharing one listening port, each served by a handler host on this side. A worker
 * that dies is replaced; close() has every worker drain its requests and exit.
 *
 * The workers run worker-main under tsx, whatever started this process, with the configuration
 * and the secrets key sent over IPC rather than through their environment.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { Config } from '../../../config/schema.js';
import type { Logger } from '../../../observability/logger.js';
import type { OperationId } from '../operations.js';
import { channelToWorker } from './channel.js';
import { answerScrapes, sumRegistries, WorkerRegistries } from './cluster-metrics.js';
import { hostHandlers, type HandlerHostOptions } from './handler-host.js';

export interface RestWorkerPoolOptions extends Omit<HandlerHostOptions, 'logger'> {
  count: number;
  config: Config;
  /** The resolved secrets key (see bootstrap.resolveSecretsKey). */
  secretsKey: string;
  logger: Logger;
  /** The core process's own metrics, summed with the workers' for /metrics on either port. */
  registry: Registry;
}

export interface RestWorkerPool {
  /** The port every worker listens on. */
  readonly port: number;
  /** The Prometheus text of the core's registry and every serving worker's, summed. */
  metrics(): Promise<string>;
  /** Has every worker drain (up to the shutdown grace) and exit; kills any still running after it. */
  close(): Promise<void>;
}

/** A worker that dies sooner than this after its start is replaced only after a pause. */
const QUICK_DEATH_MS = 2000;

export async function startRestWorkers(opts: RestWorkerPoolOptions): Promise<RestWorkerPool> {
  const { config, logger } = opts;
  const port = config.http.workersPort !== 0 ? config.http.workersPort : await pickFreePort(config.http.host);
  // worker-main.ts beside this file (or .js, once compiled).
  const entry = fileURLToPath(new URL(`./worker-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  cluster.setupPrimary({ exec: entry, execArgv: ['--import', tsxLoader()], args: [] });

  const operationIds = Object.keys(opts.handlers) as OperationId[];
  const live = new Set<Worker>();
  // Replacements waiting out their pause; close() cancels them.
  const pendingReplacements = new Set<NodeJS.Timeout>();
  let started = false;
  let closing = false;
  const workerRegistries = new WorkerRegistries();
  const metrics = async (): Promise<string> => {
    const [own, workers] = await Promise.all([opts.registry.getMetricsAsJSON(), workerRegistries.collect()]);
    return sumRegistries([own, ...workers]);
  };

  const fork = (): Promise<void> => {
    const worker = cluster.fork();
    const channel = channelToWorker(worker);
    const stopHosting = hostHandlers(channel, opts);
    const stopAnswering = answerScrapes(channel, metrics);
    // Counted once it serves: one still starting has nothing to count, and could not answer yet.
    let stopCounting = () => {};
    const startedAt = Date.now();
    live.add(worker);
    const ready = new Promise<void>((resolve, reject) => {
      channel.onMessage((message) => {
        if (message.type === 'rest-worker:hello' && !closing) channel.send({ type: 'rest-worker:start', config, secretsKey: opts.secretsKey, port, operationIds });
        else if (message.type === 'rest-worker:ready') {
          stopCounting = workerRegistries.add(channel);
          resolve();
        }
      });
      worker.once('exit', (code, signal) => reject(new Error(`REST worker ${worker.process.pid} exited (code ${code}, signal ${signal}) before it was ready`)));
    });
    worker.once('exit', (code: number | null, signal: string | null) => {
      live.delete(worker);
      stopHosting();
      stopAnswering();
      stopCounting();
      if (closing || !started) return;
      const pause = Date.now() - startedAt < QUICK_DEATH_MS ? 1000 : 0;
      logger.warn({ pid: worker.process.pid, code, signal, pauseMs: pause }, 'REST worker exited; starting a replacement');
      const replacement = setTimeout(() => {
        pendingReplacements.delete(replacement);
        if (closing) return;
        fork().then(
          () => logger.info({ port }, 'REST worker replaced'),
          (err: unknown) => logger.error({ err }, 'REST worker replacement failed'),
        );
      }, pause);
      pendingReplacements.add(replacement);
    });
    return ready;
  };

  const stopAll = async (graceMs: number): Promise<void> => {
    closing = true;
    for (const timer of pendingReplacements) clearTimeout(timer);
    pendingReplacements.clear();
    const workers = [...live];
    const exited = workers.map((w) => (w.isDead() ? Promise.resolve() : new Promise<void>((resolve) => w.once('exit', () => resolve()))));
    for (const w of workers) channelToWorker(w).send({ type: 'rest-worker:drain', graceMs });
    // A worker that cannot drain in time (or lost its channel) is killed.
    const deadline = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, graceMs + 5000);
    await Promise.all(exited);
    clearTimeout(deadline);
  };

  try {
    await Promise.all(Array.from({ length: opts.count }, fork));
  } catch (err) {
    await stopAll(0);
    throw err;
  }
  started = true;
  logger.info({ port, host: config.http.host, workers: opts.count }, 'REST workers listening');

  let closed: Promise<void> | undefined;
  return {
    port,
    metrics,
    close: () => (closed ??= stopAll(config.http.shutdownGraceMs).then(() => logger.info('REST workers stopped'))),
  };
}

/** tsx's loader, resolved here so workers find it whatever their working directory. */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

/**
 * An ephemeral port, chosen once. Every worker (and every replacement) then listens on the same
 * number; letting each worker listen on 0 would give a replacement a new port once no worker held
 * the old one.
 */
async function pickFreePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => resolve());
  });
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
