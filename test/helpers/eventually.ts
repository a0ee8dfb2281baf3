/**
 * Retries an async assertion until it passes or the time is up (then throws its last failure).
 * The default time is generous: on a loaded machine a passing test may need it, and only a
 * failing one waits it out.
 */
export async function eventually<T>(fn: () => T | Promise<T>, { timeoutMs = 30_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
