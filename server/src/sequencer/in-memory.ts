/**
 * A CommandBus without a journal, for tests and for running without a data directory. It
 * behaves like the durable one in every observable way except persistence: results resolve
 * and events are delivered in sequence order, a little after submit returns: results a
 * microtask later, events on a later turn of the event loop, after the batch's submitters
 * (as the durable sequencer does, so no test can come to rely on the opposite).
 */
import pino, { type Logger } from 'pino';
import type { Command, CommandResult, CoreEvent, TradingCore } from '../core/api.js';
import { answer, PromiseReceiver, type CommandBus, type ResultReceiver } from './api.js';
import { CommandTimestamps, systemClock, type Clock } from './clock.js';
import { EventFanout } from './fanout.js';

/**
 * A submitted command until its batch is released. A class, not a literal: V8 may allocate a
 * literal's objects straight into the old generation once a burst keeps most of them alive
 * through a scavenge, and an old one keeps its young result and events through the next scavenges.
 */
class Pending {
  result?: CommandResult;
  error?: unknown;
  constructor(readonly receiver: ResultReceiver) {}
}

export function createInMemorySequencer(core: TradingCore, clock: Clock = systemClock, logger: Logger = pino({ name: 'sequencer' })): CommandBus {
  const timestamps = new CommandTimestamps(clock);
  const fanout = new EventFanout(logger);
  let queue: Pending[] = [];
  let scheduled = false;

  function release(): void {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      const events: CoreEvent[] = [];
      // A plain loop: a spread call per command costs more than its few events.
      for (const item of batch) {
        const produced = item.result?.events;
        if (produced) for (let i = 0; i < produced.length; i++) events.push(produced[i]!);
      }
      for (const item of batch) answer(item.receiver, item.result, item.error, logger);
      fanout.emit(events);
    }
  }

  function submitTo(command: Command, receiver: ResultReceiver): void {
    const pending = new Pending(receiver);
    try {
      pending.result = core.apply({ ts: timestamps.next(), command });
    } catch (error) {
      pending.error = error;
    }
    queue.push(pending);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(release);
    }
  }

  return {
    submit(command: Command): Promise<CommandResult> {
      return new Promise((resolve, reject) => submitTo(command, new PromiseReceiver(resolve, reject)));
    },
    submitTo,
    onEvents: (listener) => fanout.add(listener),
    core,
    healthy: true,
  };
}
