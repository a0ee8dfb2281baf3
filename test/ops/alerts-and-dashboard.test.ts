/**
 * The Prometheus alert rules and the Grafana dashboard in ops/: the rules pass promtool's parser
 * and its rule unit tests (each alert fires when its objective is broken), and every metric the
 * rules and the dashboard query is one a running service, or a distributed-mode core node,
 * exposes on /metrics.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { families, scrape } from '../observability/exposition.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCoreNodeMetrics } from '../../server/src/fleet/core-metrics.js';

const RULES = new URL('../../ops/prometheus/alerts.yml', import.meta.url).pathname;
const RULE_TESTS = new URL('../../ops/prometheus/alerts.test.yml', import.meta.url).pathname;
const DASHBOARD = new URL('../../ops/grafana/trading-api.json', import.meta.url).pathname;

let svc: TestService;
let exposed: Set<string>;
beforeAll(async () => {
  svc = await startTestService();
  exposed = families(await scrape(svc.baseUrl));
  // A core node's own families (core-main.ts serves this registry on FLEET_CORE_HTTP_PORT).
  const core = createCoreNodeMetrics({ defaultMetrics: false });
  core.watch({ role: 'leader', term: 1, appliedSeq: 0 });
  for (const name of families(await core.registry.metrics())) exposed.add(name);
});
afterAll(async () => {
  await svc?.stop();
});

/** The metric names a PromQL expression reads (ours: http_, trading_, fix_, ws_), as families. */
function metricsIn(expr: string): string[] {
  const names = expr.match(/\b(?:http|trading|fix|ws)_[a-z0-9_]+\b/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, '')))];
}

/** promtool, installed from Debian's prometheus package (.ci/run). */
function promtool(...args: string[]): string {
  return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('alert rules', () => {
  const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);

  it('pass promtool check rules', () => {
    expect(promtool('check', 'rules', RULES)).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('fire when their objective is broken and stay quiet otherwise (promtool test rules)', () => {
    expect(promtool('test', 'rules', RULE_TESTS)).toContain('SUCCESS');
  });

  it('cover the objectives of docs/operations.md', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['TradingOrderAckLatencyHigh', 'TradingErrorRatioHigh', 'TradingJournalFsyncSlow', 'TradingNotReady', 'TradingHistoryLagHigh', 'TradingCoreNoLeader', 'TradingJetStreamAppendSlow']));
    const guide = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    for (const { alert } of rules) expect(guide).toContain(alert);
  });

  it('use only metrics the service exposes', () => {
    const used = rules.flatMap((r) => metricsIn(r.expr));
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[] };

  it('has a panel for order flow, latency percentiles, rejects, the journal, FIX sessions and limits', () => {
    const titles = dashboard.panels.map((p) => p.title).join('\n');
    for (const topic of [/Orders by channel/, /acknowledgement latency/, /Rejects/, /fdatasync/, /Group commit/, /FIX messages/, /FIX sessions/, /Limit refusals/]) expect(titles).toMatch(topic);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('queries only metrics the service exposes', () => {
    const used = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsIn(t.expr)));
    expect(used.length).toBeGreaterThan(15);
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });
});

describe('metric names', () => {
  it('follow the Prometheus conventions: counters end in _total, gauges do not, histograms name their unit', async () => {
    const text = await scrape(svc.baseUrl);
    const types = [...text.matchAll(/^# TYPE ((?:trading|fix|ws|http)_\S+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(types.length).toBeGreaterThan(25);
    for (const [name, type] of types) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'gauge') expect(name).not.toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_(seconds|records)$/);
    }
  });
});
