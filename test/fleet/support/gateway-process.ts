/**
 * A gateway as a real process (`server/src/fleet/gateway-main.ts`) for the chaos tests: started
 * on ephemeral ports with a data directory of its own, its JSON log lines parsed as they come,
 * so a test learns its ports and operator key from the 'service ready' line and can kill it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { HmacCredentials } from '../../helpers/signing.js';
import { gatewayEnv, type FleetStores } from '../gateway-harness.js';

export interface GatewayProcess {
  child: ChildProcess;
  lines: { msg: string; [key: string]: unknown }[];
  baseUrl: string;
  wsUrl: string;
  fixPort: number;
  operator: HmacCredentials;
  /** Sends a signal and, for SIGKILL/SIGTERM, waits for the exit. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** Kills it if it still runs and removes its data directory. */
  stop(): Promise<void>;
}

/** Starts a gateway process; resolves once it serves (its replica has caught up with the log). */
export async function startGatewayProcess(stores: FleetStores, config: Record<string, unknown> = {}): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-process-'));
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/fleet/gateway-main.ts'], {
    env: { ...process.env, ...gatewayEnv(stores, dataDir, { CONFIG_FILE: configFile, MODE: 'demo' }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: GatewayProcess['lines'] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const ready = new Promise<{ rest: string; fix: string }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line;
      try {
        line = JSON.parse(text) as GatewayProcess['lines'][number];
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      if (line.msg === 'service ready') resolve(line.urls as { rest: string; fix: string });
    });
    child.once('exit', (code, signal) => reject(new Error(`gateway process exited (${code ?? signal}) before it served: ${stderr.join('')}`)));
  });
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = name === 'SIGKILL' || name === 'SIGTERM' ? new Promise((resolve) => child.once('exit', resolve)) : undefined;
    child.kill(name);
    await exited;
  };
  let urls;
  try {
    urls = await ready;
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const baseUrl = urls.rest.replace(/\/v1$/, '');
  const operator = JSON.parse(readFileSync(join(dataDir, 'operator-credentials.json'), 'utf8')) as HmacCredentials;
  return {
    child, lines, baseUrl, wsUrl: `${baseUrl.replace(/^http/, 'ws')}/v1/ws`, fixPort: Number(/:(\d+) /.exec(urls.fix)![1]), operator, signal,
    stop: async () => {
      await signal('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
