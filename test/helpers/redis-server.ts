/**
 * A redis-server of a test's own, on a free loopback port, without persistence. Tests that kill
 * and restart Redis use it; stop() in afterAll. The binary is on the machine (see .ci/run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { freePort } from './free-port.js';
import { waitServing } from './wait-serving.js';

export interface TestRedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL) and waits until its port no longer answers. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('error', () => resolve(false));
    // Whatever holds the port may accept and never answer: then it is not (yet) our server.
    socket.setTimeout(1_000, () => { socket.destroy(); resolve(false); });
    socket.connect(port, '127.0.0.1', () => {
      socket.write('PING\r\n');
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
    });
  });
}

/** `port`: a port of the caller's choosing (a test of the helper hands it a taken one); a free one by default. */
export async function startRedisServer({ port: chosen }: { port?: number } = {}): Promise<TestRedisServer> {
  const port = chosen ?? await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    // Its log, for the error if it ends at start (its port taken, say) instead of waiting out the time.
    let output = '';
    const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-2_000); };
    started.stdout!.on('data', keep);
    started.stderr!.on('data', keep);
    await waitServing(started, { name: `redis-server on ${port}`, serves: () => answers(port), logTail: () => output });
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: launch, stop: kill };
}
