/** Counters the WebSocket gateway keeps; `registerWsMetrics` exposes them to Prometheus. */
import { Gauge, type Registry } from 'prom-client';

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

/** One gauge per counter, read when Prometheus scrapes. */
export function registerWsMetrics(registry: Registry, metrics: WsMetrics): void {
  for (const key of Object.keys(metrics) as (keyof WsMetrics)[]) {
    const name = `ws_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
    new Gauge({ name, help: `WebSocket gateway: ${key}.`, registers: [registry], collect() { this.set(metrics[key]); } });
  }
}
