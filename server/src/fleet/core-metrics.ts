/**
 * A core node's Prometheus metrics: the trading families every process defines (so dashboards
 * and alerts read the same names everywhere), of which a core node counts the JetStream appends
 * and its leadership changes, plus gauges read from the node when scraped: its role, term and
 * last applied seq.
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { createTradingMetrics } from '../observability/trading-metrics.js';
import type { CoreNodeObserver, CoreRole } from './core-node.js';

/** The node as the gauges read it (CoreNode fits). */
export interface CoreNodeGaugeSource {
  readonly role: CoreRole;
  readonly term: number;
  readonly appliedSeq: number;
}

export interface CoreNodeMetrics {
  registry: Registry;
  /** Pass to CoreNode.start: observes appends and counts leadership changes. */
  observer: CoreNodeObserver;
  /** Registers the gauges that read the node (once it has started). */
  watch(node: CoreNodeGaugeSource): void;
}

/** The roles the role gauge reports, one series each (1 for the node's current role). */
const GAUGE_ROLES: readonly CoreRole[] = ['starting', 'standby', 'leader', 'closed'];

export function createCoreNodeMetrics(options: { defaultMetrics?: boolean } = {}): CoreNodeMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const trading = createTradingMetrics(registry);
  const observer: CoreNodeObserver = {
    appended: (seconds) => trading.jetstreamAppend.observe(seconds),
    roleChanged: (role, previous) => {
      // Taking the lease, and losing or giving it up, are each one change.
      if (role === 'leader' || previous === 'leader') trading.leaderChanges.inc();
    },
  };
  const watch = (node: CoreNodeGaugeSource): void => {
    const registers = [registry];
    new Gauge({
      name: 'trading_core_role', help: "Distributed mode: 1 for this core node's current role (starting, standby, leader, closed), 0 for the others.",
      labelNames: ['role'] as const, registers,
      collect() {
        for (const role of GAUGE_ROLES) this.set({ role }, node.role === role ? 1 : 0);
      },
    });
    new Gauge({ name: 'trading_core_term', help: 'Distributed mode: the leader term this core node leads in (0 unless it leads).', registers, collect() { this.set(node.term); } });
    new Gauge({ name: 'trading_core_applied_seq', help: "Distributed mode: the last command-log seq applied to this core node's core.", registers, collect() { this.set(node.appliedSeq); } });
  };
  return { registry, observer, watch };
}
