/**
 * Gauges read from the core process's state when Prometheus scrapes: readiness, how far the
 * history projection trails the journal, and live FIX sessions. Only the core process registers
 * them, so summing the REST workers' registries leaves them as they are.
 */
import { Gauge, type Registry } from 'prom-client';

export interface CoreGaugeSources {
  ready: () => boolean;
  /** Last durable journal record, and the last one the history store has projected. */
  journal: () => { durableIndex: number; historyIndex: number };
  /** FIX sessions logged on now (0 when the acceptor is off). */
  fixSessions: () => number;
}

export function registerCoreGauges(registry: Registry, sources: CoreGaugeSources): void {
  const registers = [registry];
  new Gauge({ name: 'trading_ready', help: '1 while /health/ready answers ready, else 0.', registers, collect() { this.set(sources.ready() ? 1 : 0); } });
  new Gauge({ name: 'trading_journal_durable_index', help: 'Index of the last journal record made durable.', registers, collect() { this.set(sources.journal().durableIndex); } });
  new Gauge({
    name: 'trading_history_projection_lag_records', help: 'Durable journal records the history projection has not applied yet.', registers,
    collect() {
      const { durableIndex, historyIndex } = sources.journal();
      this.set(Math.max(0, durableIndex - historyIndex));
    },
  });
  new Gauge({ name: 'fix_sessions_logged_on', help: 'FIX sessions logged on now.', registers, collect() { this.set(sources.fixSessions()); } });
}
