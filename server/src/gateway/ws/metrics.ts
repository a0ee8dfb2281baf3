/** Counters the WebSocket gateway keeps; `registerWsMetrics` exposes them to Prometheus. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface WsMetrics {
  connectionsOpen: number;
  connectionsTotal: number;
  /** Upgrades refused (wrong path, per-IP limit, shutting down). */
  upgradesRefused: number;
  framesIn: number;
  framesOut: number;
  /** Market-data subscriptions that fell behind and were conflated. */
  conflations: number;
  slowConsumerCloses: number;
}

export function newWsMetrics(): WsMetrics {
  return { connectionsOpen: 0, connectionsTotal: 0, upgradesRefused: 0, framesIn: 0, framesOut: 0, conflations: 0, slowConsumerCloses: 0 };
}

/** The Prometheus name and help of each counter (counters end in `_total`, by the naming conventions). */
const COUNTERS: Readonly<Record<Exclude<keyof WsMetrics, 'connectionsOpen'>, [string, string]>> = {
  connectionsTotal: ['ws_connections_opened_total', 'WebSocket connections accepted.'],
  upgradesRefused: ['ws_upgrades_refused_total', 'WebSocket upgrades refused (wrong path, per-IP limit, shutting down).'],
  framesIn: ['ws_frames_received_total', 'WebSocket frames received.'],
  framesOut: ['ws_frames_sent_total', 'WebSocket frames sent.'],
  conflations: ['ws_conflations_total', 'Market-data subscriptions that fell behind and were conflated (updates skipped, then a fresh state).'],
  slowConsumerCloses: ['ws_slow_consumer_disconnects_total', 'Connections closed because their outbound buffer exceeded the limit (slow consumer).'],
};

/** Subscriptions across the given connections. */
export function subscriptionCount(connections: Iterable<{ subscriptions: { size: number } }>): number {
  let n = 0;
  for (const c of connections) n += c.subscriptions.size;
  return n;
}

/** Read when Prometheus scrapes: the counters from `metrics`, the subscription gauge from `subscriptions()`. */
export function registerWsMetrics(registry: Registry, metrics: WsMetrics, subscriptions: () => number): void {
  new Gauge({ name: 'ws_connections', help: 'WebSocket connections open now.', registers: [registry], collect() { this.set(metrics.connectionsOpen); } });
  new Gauge({ name: 'ws_subscriptions', help: 'WebSocket subscriptions (public and private channels) open now.', registers: [registry], collect() { this.set(subscriptions()); } });
  for (const [key, [name, help]] of Object.entries(COUNTERS) as [keyof typeof COUNTERS, [string, string]][]) {
    new Counter({
      name, help, registers: [registry],
      // The gateway counts in plain fields on its hot path; the counter takes their value at scrape time.
      collect() {
        this.reset();
        this.inc(metrics[key]);
      },
    });
  }
}
