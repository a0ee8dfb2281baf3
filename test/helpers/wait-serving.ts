/**
 * Waits for a server a test started as a child process to serve, and gives up at once if the
 * process ends meanwhile (its port taken, say) instead of waiting out the time: the error then
 * carries the end of the server's own log, which says why.
 */
import type { ChildProcess } from 'node:child_process';
import { eventually } from './eventually.js';

/** The server's process ended before it served: starting it again (elsewhere) may help, waiting will not. */
export class ExitedAtStart extends Error {}

export interface ServingCheck {
  /** What the errors call the server, e.g. `redis-server on 20412`. */
  name: string;
  /** Whether it serves yet (false on any failure to reach it). */
  serves: () => Promise<boolean>;
  /** The end of its log, for the errors. */
  logTail: () => string;
  timeoutMs?: number;
}

export async function waitServing(child: ChildProcess, { name, serves, logTail, timeoutMs = 30_000 }: ServingCheck): Promise<void> {
  await eventually(async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ExitedAtStart(`${name} exited at start (${child.exitCode ?? child.signalCode}); its log ends:\n${logTail()}`);
    }
    if (!(await serves())) throw new Error(`${name} does not serve yet; its log ends:\n${logTail()}`);
  }, { timeoutMs, intervalMs: 50, retryIf: (error) => !(error instanceof ExitedAtStart) });
}
