/**
 * The smallest leader that keeps the distributed contract, for gateway-side tests: it takes
 * commands on `core.<shard>.cmd` (queue group `core`), stamps and applies them to a real core,
 * appends each envelope to the real log stream with the expected last sequence, and replies
 * `{ seq }` once JetStream acknowledged the append. It has no lease and no standby: the core
 * node (server/src/fleet/core-node.ts) is the production leader; this one lets a test hold the
 * leader's results side by side with what a gateway's replica produced.
 */
import { RetentionPolicy, StorageType, DiscardPolicy, type NatsConnection, type Subscription } from 'nats';
import { createCore } from '../../server/src/core/index.js';
import type { CommandResult, TradingCore } from '../../server/src/core/api.js';
import { decodeCommandRequest, decodeEnvelope, encodeCommandReply, encodeEnvelope } from '../../server/src/fleet/envelope.js';
import { LogApplier } from '../../server/src/fleet/log-applier.js';
import { eventually } from '../helpers/eventually.js';
import { COMMAND_QUEUE_GROUP, commandSubject, logStreamName, logSubject } from '../../server/src/fleet/shard-names.js';

export interface LogWritingLeader {
  readonly core: TradingCore;
  /** The leader's own result for each log sequence. */
  results: Map<number, CommandResult>;
  /** Stops answering (as a crashed leader would); the stream stays. Once it resolves, a request finds no responder. */
  stop(): Promise<void>;
}

/** Creates the shard's log stream (file storage) if it is missing. */
export async function ensureLogStream(nc: NatsConnection, replicas: number, shard = 0): Promise<void> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(logStreamName(shard));
  } catch {
    await jsm.streams.add({
      name: logStreamName(shard), subjects: [logSubject(shard)], storage: StorageType.File, num_replicas: replicas,
      retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, max_msgs: -1, max_bytes: -1,
    });
  }
}

/**
 * Starts leading from the log's current end: the core is rebuilt from every logged envelope
 * first, so a second leader started after a first one continues its state.
 */
export async function startLogWritingLeader(nc: NatsConnection, options: { shard?: number; now?: () => number; term?: number } = {}): Promise<LogWritingLeader> {
  const shard = options.shard ?? 0;
  const term = options.term ?? 1;
  const now = options.now ?? Date.now;
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  let core = createCore();
  const results = new Map<number, CommandResult>();
  let last = 0;
  // A fresh core from everything the log holds: at start, and after an append that failed (the
  // core had applied a command the log may not hold, so its state cannot be trusted).
  const rebuild = async (): Promise<void> => {
    core = createCore();
    results.clear();
    last = (await jsm.streams.info(logStreamName(shard))).state.last_seq;
    const applier = new LogApplier(core);
    for (let seq = 1; seq <= last; seq++) {
      const applied = applier.apply(decodeEnvelope((await jsm.streams.getMessage(logStreamName(shard), { seq })).data, seq));
      if (!applied.void && applied.result) results.set(seq, applied.result);
    }
  };
  await rebuild();
  const subscription: Subscription = nc.subscribe(commandSubject(shard), { queue: COMMAND_QUEUE_GROUP });
  const serving = (async () => {
    for await (const message of subscription) {
      const command = decodeCommandRequest(message.data);
      const seq = last + 1;
      const time = now();
      const result = core.apply({ ts: time, command });
      try {
        await js.publish(logSubject(shard), encodeEnvelope({ seq, time, term, command }), { expect: { lastSequence: seq - 1 } });
      } catch (error) {
        message.respond(encodeCommandReply({ error: { code: 'CORE_UNAVAILABLE', message: (error as Error).message } }));
        await eventually(rebuild, { timeoutMs: 60_000, intervalMs: 100 });
        continue;
      }
      last = seq;
      results.set(seq, result);
      message.respond(encodeCommandReply({ seq }));
    }
  })();
  return {
    get core() {
      return core;
    },
    results,
    stop: async () => {
      subscription.unsubscribe();
      // The server drops the subscription when it reads the UNSUB, and may first route a request
      // from another connection here, where it is dropped unanswered: the requester times out
      // (outcome unknown) instead of hearing that no leader serves. A flush's PONG comes after
      // the UNSUB is read, so once stop() resolves no request can reach this leader.
      await nc.flush();
      await serving;
    },
  };
}
