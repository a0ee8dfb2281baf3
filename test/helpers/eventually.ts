/**
 * Retries an async assertion until it passes or the time is up (then throws its last failure).
 * The default time is generous: on a loaded machine a passing test may need it, and only a
 * failing one waits it out. `retryIf` limits the retries to the failures it accepts; any other
 * is thrown at once (a request whose outcome is unknown must not simply be sent again).
 */
export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  retryIf?: (error: unknown) => boolean;
}

export async function eventually<T>(fn: () => T | Promise<T>, { timeoutMs = 30_000, intervalMs = 20, retryIf }: EventuallyOptions = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() >= deadline || (retryIf !== undefined && !retryIf(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
