/**
 * The WebSocket the client runs on: the standard browser API's subset it needs, so the `ws`
 * package (Node) and a global WebSocket (browsers, Deno, Node 22+) both fit; and the requests
 * in flight on it, matched to their answers by id.
 */
import { ConnectionError } from '../errors.js';

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The `OPEN` readyState of the standard API. */
export const OPEN = 1;

/** In Node the `ws` package; elsewhere the global WebSocket. */
export async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (isNode) {
    const mod = (await import('ws')) as unknown as { default: WebSocketConstructor };
    return mod.default;
  }
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  throw new Error('No WebSocket implementation found: pass one as the `WebSocket` option.');
}

/** Text of a message event's data (`ws` gives a string for text frames; some runtimes give bytes). */
export function messageText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data as Uint8Array);
  return String(data);
}

/** The WebSocket URL of a REST base URL: same host, ws(s) scheme, path /v1/ws. */
export function wsUrlFor(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/ws`;
  url.search = '';
  return url.toString();
}

interface Pending {
  op: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Requests sent on a socket, matched to their answers by id: each settles with the reply's
 * result or the error frame's error, with a timeout, or with the loss of the connection.
 */
export class PendingRequests {
  #nextId = 1;
  readonly #pending = new Map<number | string, Pending>();

  /** Sends `{id, op, args}` on an open socket and waits for the answer with its id. */
  send(socket: WebSocketLike, op: string, args: unknown, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (socket.readyState !== OPEN) return reject(new ConnectionError(`not connected: ${op} was not sent`, false));
      const id = this.#nextId++;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ConnectionError(`no answer to ${op} within ${timeoutMs} ms`, true));
      }, timeoutMs);
      this.#pending.set(id, { op, resolve, reject, timer });
      try {
        socket.send(JSON.stringify(args === undefined ? { id, op } : { id, op, args }));
      } catch (err) {
        this.#take(id);
        reject(new ConnectionError(`${op} could not be sent: ${err instanceof Error ? err.message : String(err)}`, false));
      }
    });
  }

  /** Settles the request `id` with its reply; false when no request waits for it. */
  resolve(id: number | string, result: unknown): boolean {
    const pending = this.#take(id);
    pending?.resolve(result);
    return pending !== undefined;
  }

  /** Settles the request `id` with its error frame's error; false when no request waits for it. */
  reject(id: number | string, error: Error): boolean {
    const pending = this.#take(id);
    pending?.reject(error);
    return pending !== undefined;
  }

  /** The connection is gone: every request still waiting rejects with the error `lost` makes for it. */
  rejectAll(lost: (op: string) => Error): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(lost(pending.op));
    }
  }

  #take(id: number | string): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    return pending;
  }
}
