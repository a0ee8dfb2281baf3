import type { Duplex } from 'node:stream';

/**
 * While a batch of core events is being turned into frames, each connection's socket is corked
 * on its first write and uncorked once the batch is done, so all the frames one batch gives a
 * connection (book update, trades, private events) leave in one system call.
 */
export class WriteBatch {
  #open = false;
  readonly #held = new Set<Duplex>();

  /** Runs `deliver` with writes held, then releases them. */
  run(deliver: () => void): void {
    this.#open = true;
    try {
      deliver();
    } finally {
      this.#open = false;
      for (const socket of this.#held) socket.uncork();
      this.#held.clear();
    }
  }

  /** Called before each write: holds the socket's writes if a batch is being delivered. */
  hold(socket: Duplex): void {
    if (!this.#open || this.#held.has(socket)) return;
    socket.cork();
    this.#held.add(socket);
  }
}
