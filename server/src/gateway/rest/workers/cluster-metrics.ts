/**
 * One /metrics view over the core process and its REST gateway workers, whichever port is scraped.
 *
 * The core asks every ready worker for its registry (prom-client's getMetricsAsJSON) over the
 * worker's channel and sums them with its own through prom-client's AggregatorRegistry.aggregate:
 * counters and histograms add up under their own labels (no per-process label, so the series stay
 * as few as in one process), and the default metrics keep prom-client's rules for them (event loop
 * lag averaged, the version taken once, the start time left out). A worker's /metrics asks the
 * core for that same text.
 *
 * Only the static aggregate() is used. AggregatorRegistry's clusterMetrics() would leave the core's
 * own metrics out, and constructing one installs prom-client's listeners on the cluster's message
 * events; our own `rest-worker:*` messages carry the registries instead.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Channel } from './channel.js';
import { PendingReplies } from './pending-replies.js';
import type { CoreToWorker, RegistrySnapshot, WorkerToCore } from './protocol.js';

/** The Prometheus text of these registries summed (prom-client's aggregation rules). */
export async function sumRegistries(snapshots: RegistrySnapshot[]): Promise<string> {
  return AggregatorRegistry.aggregate(snapshots).metrics();
}

/** Worker side: answers the core's requests for this process's registry. Returns a function that stops it. */
export function serveRegistry(channel: Channel<CoreToWorker, WorkerToCore>, registry: Registry): () => void {
  return channel.onMessage((message) => {
    if (message.type !== 'rest-worker:collect-metrics') return;
    registry.getMetricsAsJSON().then(
      (metrics) => channel.send({ type: 'rest-worker:metrics', id: message.id, ok: true, metrics }),
      (err: unknown) => channel.send({ type: 'rest-worker:metrics', id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** Worker side: the summed view, asked of the core. Fails when the core does not answer in time or is gone. */
export function coreExposition(channel: Channel<CoreToWorker, WorkerToCore>, timeoutMs = 5000): { exposition(): Promise<string>; close(): void } {
  const what = 'metrics from the core process';
  const pending = new PendingReplies<string>(timeoutMs, () => new Error(`${what}: no answer in ${timeoutMs} ms`));
  const stop = channel.onMessage((message) => {
    if (message.type !== 'rest-worker:exposition') return;
    if (message.ok) pending.resolve(message.id, message.text);
    else pending.reject(message.id, new Error(`${what}: ${message.error}`));
  });
  const unreachable = () => new Error(`${what}: the core process is unreachable`);
  channel.onClose(() => pending.rejectAll(unreachable));
  return {
    exposition() {
      if (!channel.connected) return Promise.reject(unreachable());
      const { id, reply } = pending.open();
      channel.send({ type: 'rest-worker:scrape', id });
      return reply;
    },
    close() {
      stop();
      pending.rejectAll(unreachable);
    },
  };
}

/** Core side: answers a worker's scrapes with `exposition`. Returns a function that stops it. */
export function answerScrapes(channel: Channel<WorkerToCore, CoreToWorker>, exposition: () => Promise<string>): () => void {
  return channel.onMessage((message) => {
    if (message.type !== 'rest-worker:scrape') return;
    exposition().then(
      (text) => channel.send({ type: 'rest-worker:exposition', id: message.id, ok: true, text }),
      (err: unknown) => channel.send({ type: 'rest-worker:exposition', id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** Core side: the registries of the workers that are serving. */
export class WorkerRegistries {
  readonly #workers = new Map<Channel<WorkerToCore, CoreToWorker>, (() => Promise<RegistrySnapshot>)>();
  readonly #timeoutMs: number;

  /** `timeoutMs`: how long a worker may take to send its registry before the collection fails. */
  constructor(timeoutMs = 3000) {
    this.#timeoutMs = timeoutMs;
  }

  /** Includes this worker's registry from now on, until the returned function is called. */
  add(channel: Channel<WorkerToCore, CoreToWorker>): () => void {
    const what = 'metrics of a REST worker';
    const pending = new PendingReplies<RegistrySnapshot>(this.#timeoutMs, () => new Error(`${what}: no answer in ${this.#timeoutMs} ms`));
    const stop = channel.onMessage((message) => {
      if (message.type !== 'rest-worker:metrics') return;
      if (message.ok) pending.resolve(message.id, message.metrics);
      else pending.reject(message.id, new Error(`${what}: ${message.error}`));
    });
    // A worker that exits took its counts with it: it adds nothing, rather than failing the scrape.
    channel.onClose(() => pending.resolveAll([]));
    this.#workers.set(channel, () => {
      if (!channel.connected) return Promise.resolve([]);
      const { id, reply } = pending.open();
      channel.send({ type: 'rest-worker:collect-metrics', id });
      return reply;
    });
    return () => {
      this.#workers.delete(channel);
      stop();
      pending.resolveAll([]);
    };
  }

  /** Every serving worker's registry. */
  collect(): Promise<RegistrySnapshot[]> {
    return Promise.all([...this.#workers.values()].map((snapshot) => snapshot()));
  }
}
