/**
 * Requests sent over a worker channel and waiting for their replies: each gets an id, and its
 * promise is settled by the reply carrying that id, or rejected when no reply comes in time. Used
 * by both ends of the channel (handler calls, metrics collection and scrapes).
 */
export class PendingReplies<T> {
  readonly #waiting = new Map<number, { resolve: (value: T) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  readonly #timeoutMs: number;
  readonly #timeoutError: () => Error;
  #nextId = 1;

  /** `timeoutError` makes the rejection of a request that got no reply within `timeoutMs`. */
  constructor(timeoutMs: number, timeoutError: () => Error) {
    this.#timeoutMs = timeoutMs;
    this.#timeoutError = timeoutError;
  }

  /** A fresh id, and the promise its reply settles. */
  open(): { id: number; reply: Promise<T> } {
    const id = this.#nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(this.#timeoutError());
      }, this.#timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
    });
    return { id, reply };
  }

  resolve(id: number, value: T): void {
    this.#take(id)?.resolve(value);
  }

  reject(id: number, error: Error): void {
    this.#take(id)?.reject(error);
  }

  /** Settles every request still waiting with `value` (e.g. the other side is gone and owes nothing). */
  resolveAll(value: T): void {
    for (const id of [...this.#waiting.keys()]) this.resolve(id, value);
  }

  /** Rejects every request still waiting, each with an error of its own. */
  rejectAll(error: () => Error): void {
    for (const id of [...this.#waiting.keys()]) this.reject(id, error());
  }

  /** The waiting request `id`, no longer waiting; undefined when it timed out already. */
  #take(id: number) {
    const waiting = this.#waiting.get(id);
    if (!waiting) return undefined;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    return waiting;
  }
}
