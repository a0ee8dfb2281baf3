/**
 * Order flow against a shard's leader over NATS, as a gateway sends it, for the chaos tests and
 * the fleet benchmark:
 *
 * - `LogReplica` follows the log through the shared applier (as every gateway does) and indexes
 *   each non-void envelope, so a test can check the log against what clients were told.
 * - `ExactlyOnceClient` sends a command until it is acknowledged. A refusal that says the
 *   command was not sequenced (`NOT_LEADER`, no responders) is simply retried. An unknown outcome
 *   (timeout, `CORE_UNAVAILABLE`) is resolved by client order id first: the client gets a
 *   harmless barrier command acknowledged, waits until its replica reaches the barrier, and looks
 *   its order up there. Anything older than an acknowledged envelope is in the log before it or
 *   never (the stream orders proposals, and a deposed leader's later appends are refused or void),
 *   so a command found there is not sent again, and one not found can be.
 */
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Command, CommandResult, TradingCore } from '../../../server/src/core/api.js';
import { createCore } from '../../../server/src/core/index.js';
import { CommandLog, type LogFollower } from '../../../server/src/fleet/command-log.js';
import { decodeCommandReply, encodeCommandRequest, type SequencedEnvelope } from '../../../server/src/fleet/envelope.js';
import { LogApplier } from '../../../server/src/fleet/log-applier.js';
import { commandSubject } from '../../../server/src/fleet/shard-names.js';
import { CoreUnavailableError, type CommandBus } from '../../../server/src/sequencer/api.js';

export interface LoggedCommand {
  envelope: SequencedEnvelope;
  void: boolean;
  result: CommandResult | undefined;
}

export class LogReplica {
  readonly core: TradingCore = createCore();
  readonly entries = new Map<number, LoggedCommand>();
  /** Non-void PlaceOrder envelopes by `accountId/clientOrderId`. */
  readonly placed = new Map<string, number[]>();
  readonly #applier = new LogApplier(this.core);
  readonly #follower: LogFollower;

  private constructor(log: CommandLog) {
    this.#follower = log.follow(1, (envelope) => {
      const outcome = this.#applier.apply(envelope);
      this.entries.set(envelope.seq, { envelope, void: outcome.void, result: outcome.void ? undefined : outcome.result });
      const c = envelope.command;
      if (!outcome.void && c.type === 'PlaceOrder' && c.clientOrderId !== undefined) {
        const key = `${c.accountId}/${c.clientOrderId}`;
        this.placed.set(key, [...(this.placed.get(key) ?? []), envelope.seq]);
      }
    });
  }

  static async open(nc: NatsConnection, shard: number, replicas: number, logger: Logger): Promise<LogReplica> {
    return new LogReplica(await CommandLog.open(nc, { shard, replicas, logger }));
  }

  get appliedSeq(): number {
    return this.#applier.seq;
  }

  whenApplied(seq: number): Promise<void> {
    return this.#follower.whenApplied(seq);
  }

  stop(): Promise<void> {
    return this.#follower.stop();
  }
}

export interface Acknowledged {
  seq: number;
  command: Command;
}

export class ExactlyOnceClient {
  readonly acknowledged: Acknowledged[] = [];
  /** Each refusal or failure seen, by kind (`NOT_LEADER`, `CORE_UNAVAILABLE`, `timeout`, `no responders`, …). */
  readonly failures = new Map<string, number>();
  /** Unknown outcomes resolved from the replica (found there, not sent again). */
  foundInLog = 0;
  #barriers = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly shard: number,
    private readonly replica: LogReplica,
    private readonly name: string,
    private readonly timeoutMs = 3_000,
  ) {}

  /** Sends until acknowledged; resolves with the seq the command holds in the log. */
  async send(command: Command): Promise<number> {
    for (;;) {
      const outcome = await this.#attempt(command);
      if (typeof outcome === 'number') {
        this.acknowledged.push({ seq: outcome, command });
        return outcome;
      }
      if (outcome === 'unknown' && command.type === 'PlaceOrder' && command.clientOrderId !== undefined) {
        const found = await this.#lookUp(`${command.accountId}/${command.clientOrderId}`);
        if (found !== undefined) {
          this.foundInLog++;
          this.acknowledged.push({ seq: found, command });
          return found;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A seq, or whether the command was certainly not sequenced ('retry') or may have been ('unknown'). */
  async #attempt(command: Command): Promise<number | 'retry' | 'unknown'> {
    let reply;
    try {
      const message = await this.nc.request(commandSubject(this.shard), encodeCommandRequest(command), { timeout: this.timeoutMs });
      reply = decodeCommandReply(message.data);
    } catch (error) {
      const text = (error as Error).message.toLowerCase();
      if (text.includes('no responders') || (error as { code?: string }).code === '503') {
        this.#count('no responders');
        return 'retry';
      }
      this.#count(text.includes('timeout') ? 'timeout' : text);
      return 'unknown';
    }
    if ('seq' in reply) return reply.seq;
    this.#count(reply.error.code);
    return reply.error.code === 'NOT_LEADER' ? 'retry' : 'unknown';
  }

  async #lookUp(key: string): Promise<number | undefined> {
    const barrier: Command = { type: 'CancelOrder', accountId: 'barrier', clientOrderId: `${this.name}-barrier-${++this.#barriers}` };
    let seq: number | 'retry' | 'unknown';
    for (;;) {
      seq = await this.#attempt(barrier);
      if (typeof seq === 'number') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.replica.whenApplied(seq);
    const seqs = this.replica.placed.get(key) ?? [];
    return seqs.find((s) => s < seq);
  }

  #count(kind: string): void {
    this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
  }
}

/** Sums each asset's totals over the accounts (and the fee account), in the asset's smallest unit. */
export function assetTotals(core: TradingCore, accounts: readonly string[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const accountId of [...accounts, 'fees']) {
    for (const balance of core.balances(accountId) ?? []) {
      totals.set(balance.asset, (totals.get(balance.asset) ?? 0n) + toUnits(balance.total, 8));
    }
  }
  return totals;
}

function toUnits(decimal: string, scale: number): bigint {
  const negative = decimal.startsWith('-');
  const [whole, fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  if (fraction.length > scale) throw new RangeError(`${decimal} has more than ${scale} decimals`);
  const units = BigInt(whole!) * 10n ** BigInt(scale) + BigInt((fraction + '0'.repeat(scale)).slice(0, scale));
  return negative ? -units : units;
}

/** What a gateway's bus told its caller about one order. */
export type BusOutcome = 'acknowledged' | 'not applied' | 'unknown';

/**
 * Places orders one after another through a gateway's RemoteCommandBus (what REST, WS and FIX
 * call), each with a fresh client order id, and records what the bus answered: a result, or a
 * CoreUnavailableError saying whether the order was certainly not applied. Anything else (a
 * different error) is recorded too, and fails the test that checks `unexpected`.
 */
export class BusOrderClient {
  readonly outcomes = new Map<string, BusOutcome>();
  readonly unexpected: unknown[] = [];
  #running = true;
  readonly #loop: Promise<void>;

  constructor(private readonly bus: CommandBus, readonly accountId: string) {
    this.#loop = this.#run();
  }

  count(outcome: BusOutcome): number {
    return [...this.outcomes.values()].filter((o) => o === outcome).length;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    for (let n = 0; this.#running; n++) {
      const clientOrderId = `bus-${n}`;
      try {
        await this.bus.submit({
          type: 'PlaceOrder', accountId: this.accountId, symbol: 'BTC-USD', clientOrderId,
          side: n % 2 === 0 ? 'buy' : 'sell', orderType: 'limit', price: n % 2 === 0 ? '100.50' : '99.50', quantity: '0.01', timeInForce: 'GTC',
        });
        this.outcomes.set(clientOrderId, 'acknowledged');
      } catch (error) {
        if (error instanceof CoreUnavailableError) {
          this.outcomes.set(clientOrderId, error.notApplied ? 'not applied' : 'unknown');
          await new Promise((resolve) => setTimeout(resolve, 50));
        } else {
          this.unexpected.push(error);
          return;
        }
      }
    }
  }
}
