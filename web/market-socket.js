// @ts-check
/**
 * One WebSocket connection to /v1/ws with request/reply matching and reconnection. Every
 * request gets exactly one answer (a `reply` or an `error` frame with the same id); the other
 * frames go to `onFrame`. After a drop it reconnects with a growing delay and calls `onOpen`
 * again, so the owner logs in and subscribes afresh.
 */

/** @typedef {{ type: string, id?: number | string | null, [key: string]: any }} Frame */

export class MarketSocket {
  /**
   * @param {string} url
   * @param {{ onOpen(): void, onFrame(frame: Frame): void, onState(state: 'connecting' | 'open' | 'closed', closeCode?: number): void }} handlers
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.nextId = 1;
    /** @type {Map<number, (frame: Frame) => void>} */ this.pending = new Map();
    /** @type {WebSocket | undefined} */ this.socket = undefined;
    this.retryMs = 500;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.handlers.onState('connecting');
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = 500;
      this.handlers.onState('open');
      this.handlers.onOpen();
    });
    socket.addEventListener('message', (event) => {
      /** @type {Frame} */
      const frame = JSON.parse(String(event.data));
      const waiting = typeof frame.id === 'number' && (frame.type === 'reply' || frame.type === 'error') ? this.pending.get(frame.id) : undefined;
      if (waiting && typeof frame.id === 'number') {
        this.pending.delete(frame.id);
        waiting(frame);
      } else {
        this.handlers.onFrame(frame);
      }
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      for (const answer of this.pending.values()) answer({ type: 'error', code: 'CONNECTION_CLOSED', message: 'The connection closed before the answer.' });
      this.pending.clear();
      this.handlers.onState('closed', event.code);
      if (this.stopped) return;
      setTimeout(() => this.start(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    });
  }

  /** Sends a request; resolves with its `reply` or `error` frame. @param {string} op @param {unknown} [args] @returns {Promise<Frame>} */
  request(op, args) {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.resolve({ type: 'error', code: 'CONNECTION_CLOSED', message: 'Not connected.' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      socket.send(JSON.stringify(args === undefined ? { id, op } : { id, op, args }));
    });
  }

  stop() {
    this.stopped = true;
    this.socket?.close();
  }
}
