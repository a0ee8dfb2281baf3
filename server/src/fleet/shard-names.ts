/**
 * The NATS names of one core shard: the contract between core nodes and gateways in distributed
 * mode (docs/architecture.md, "Distributed mode"). Shard 0 holds every instrument for now.
 */

/** The JetStream stream that is the shard's command log. */
export function logStreamName(shard: number): string {
  return `CORE_LOG_${shard}`;
}

/** The one subject of the shard's log stream. */
export function logSubject(shard: number): string {
  return `core.${shard}.log`;
}

/** Where gateways send commands (NATS request); only the shard's leader subscribes. */
export function commandSubject(shard: number): string {
  return `core.${shard}.cmd`;
}

/** The queue group the leader subscribes to the command subject in (so two leaders could never both answer). */
export const COMMAND_QUEUE_GROUP = 'core';

/** The KV bucket that holds each shard's leader lease. */
export const LEADER_BUCKET = 'CORE_LEADER';

/** The shard's key in the leader bucket. */
export function leaseKey(shard: number): string {
  return `shard-${shard}`;
}
