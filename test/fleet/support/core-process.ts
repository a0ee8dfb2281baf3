/**
 * A core node as a real process (`server/src/fleet/core-main.ts`) for the chaos tests and the
 * fleet benchmark: its JSON log lines are parsed as they come, so a test can wait for "this
 * process leads" and signal it (SIGKILL, SIGSTOP, SIGCONT, SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface CoreProcessLine {
  msg: string;
  role?: string;
  reason?: string;
  term?: number;
  [key: string]: unknown;
}

export interface CoreProcess {
  nodeId: string;
  child: ChildProcess;
  /** Every JSON line it has logged so far. */
  lines: CoreProcessLine[];
  /** Its latest role by its own log ('starting' until it logs one). */
  readonly role: string;
  /** Sends a signal and, for SIGKILL/SIGTERM, waits for the exit. */
  signal(signal: NodeJS.Signals): Promise<void>;
}

export function startCoreProcess(options: { nodeId: string; servers: string[]; shard?: number; replicas?: number; leaseTtlMs?: number }): CoreProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/fleet/core-main.ts'], {
    env: {
      ...process.env,
      NATS_URL: options.servers.join(','),
      FLEET_SHARD: String(options.shard ?? 0),
      FLEET_REPLICAS: String(options.replicas ?? 3),
      FLEET_NODE_ID: options.nodeId,
      FLEET_LEASE_TTL_MS: String(options.leaseTtlMs ?? 1_000),
      LOG_LEVEL: 'info',
      MODE: 'demo',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: CoreProcessLine[] = [];
  let role = 'starting';
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      const line = JSON.parse(text) as CoreProcessLine;
      lines.push(line);
      if (typeof line.role === 'string' && line.msg.startsWith('core node is now')) role = line.role;
    } catch {
      lines.push({ msg: text });
    }
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) lines.push({ msg: `exited with code ${code}: ${stderr.join('')}` });
  });
  return {
    nodeId: options.nodeId,
    child,
    lines,
    get role() {
      return role;
    },
    async signal(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = signal === 'SIGKILL' || signal === 'SIGTERM' ? new Promise((resolve) => child.once('exit', resolve)) : undefined;
      child.kill(signal);
      await exited;
    },
  };
}
