/**
 * Metrics and spans for the sequencer's two stages: applying a command to the core, and the
 * journal batch (write, fdatasync) that makes it durable. A command submitted inside a recording
 * span gets a `sequencer.apply` child span and a `journal.commit` child span, the latter timed
 * by its batch, so an order's trace reaches the disk.
 */
import { context, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { Command, CommandResult } from '../core/api.js';
import type { BatchTiming } from '../journal/index.js';
import type { SequencerObserver } from '../sequencer/durable.js';
import type { TradingMetrics } from './trading-metrics.js';

const MATCHING_COMMANDS: ReadonlySet<Command['type']> = new Set(['PlaceOrder', 'AmendOrder']);

export function sequencerObserver(metrics: TradingMetrics, tracer: Tracer): SequencerObserver {
  return {
    applied(command: Command, result: CommandResult | undefined, startedAt: number, endedAt: number): Context | undefined {
      const seconds = (endedAt - startedAt) / 1000;
      metrics.apply.observe({ command: command.type }, seconds);
      if (MATCHING_COMMANDS.has(command.type)) metrics.match.observe(seconds);
      if (result && !result.ok) metrics.rejects.inc({ code: result.code });
      const parent = context.active();
      if (!trace.getSpan(parent)?.isRecording()) return undefined;
      tracer.startSpan('sequencer.apply', {
        startTime: startedAt,
        attributes: { 'trading.command': command.type, 'trading.outcome': result === undefined ? 'error' : result.ok ? 'accepted' : 'rejected', ...(result && !result.ok && { 'trading.reject_code': result.code }) },
      }, parent).end(endedAt);
      return parent;
    },
    committed(batch: BatchTiming, tokens: readonly unknown[]): void {
      metrics.journalAppend.observe((batch.writtenAt - batch.startedAt) / 1000);
      metrics.journalFsync.observe((batch.syncedAt - batch.writtenAt) / 1000);
      metrics.groupCommit.observe(batch.records);
      for (const token of tokens) {
        if (token === undefined) continue;
        tracer.startSpan('journal.commit', {
          startTime: batch.startedAt,
          attributes: { 'trading.journal.batch_records': batch.records, 'trading.journal.batch_bytes': batch.bytes, 'trading.journal.fsync_ms': batch.syncedAt - batch.writtenAt },
        }, token as Context).end(batch.syncedAt);
      }
    },
  };
}
