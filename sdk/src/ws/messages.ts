/** The contract's frames as the WebSocket client sees them, and the events it emits. */
import type { ClientMessage, LoginReply, ServerMessage, SubscriptionArgs, SubscriptionResult, Welcome } from '../../../generated/asyncapi.js';

export type RequestOp = ClientMessage['op'];
export type ArgsOf<Op extends RequestOp> = Extract<ClientMessage, { op: Op }>['args'];
export type ResultOf<Op extends RequestOp> = Extract<ServerMessage, { type: 'reply'; op: Op }>['result'];
export type LoginResult = LoginReply['result'];

/** Frames that are not answers to requests: market data, private streams, heartbeats. */
export type StreamFrame = Exclude<ServerMessage, { type: 'reply' | 'error' | 'welcome' }>;
export type StreamFrameType = StreamFrame['type'];
export type PrivateChannel = 'orders' | 'fills' | 'balances' | 'positions';

export interface SubscribedEvent {
  subscription: SubscriptionArgs;
  result: SubscriptionResult;
  /** True when the client restored the subscription on a new connection. */
  restored: boolean;
  /**
   * Private channels: the sequence of the last event this client had applied before the
   * subscription was restored. Events after it up to `result.seq` were not streamed (they
   * happened while disconnected); the snapshot channels cover them, `fills` needs REST to backfill.
   */
  previousSeq?: number;
}

export type WsEvents = { [T in StreamFrameType]: Extract<StreamFrame, { type: T }> } & {
  /** Connected, logged in (with credentials) and every subscription restored. */
  open: { reconnected: boolean; welcome: Welcome; session: LoginResult | undefined };
  close: { code: number; reason: string; willReconnect: boolean };
  /** Errors not tied to a caller's promise: an unreadable frame, a failed restore or resync. */
  error: Error;
  subscribed: SubscribedEvent;
  /** A local book lost sync and is being resubscribed. */
  'book.resync': { symbol: string; depth: number; reason: 'gap' | 'checksum' };
  /** Every frame received, before any other handling. */
  frame: ServerMessage;
};

export type Listener<E extends keyof WsEvents> = (payload: WsEvents[E]) => void;

/** The client's listeners. A listener that throws is reported as an `error` event, not to the emitter. */
export class WsEmitter {
  readonly #listeners = new Map<keyof WsEvents, Set<(payload: never) => void>>();

  on<E extends keyof WsEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => void set.delete(listener as (payload: never) => void);
  }

  emit<E extends keyof WsEvents>(event: E, payload: WsEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<E>)(payload);
      } catch (err) {
        if (event === 'error') queueMicrotask(() => { throw err; });
        else this.emit('error', err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
}
