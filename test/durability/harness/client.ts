/** Talks to the crash-test server: launches it, and sends pipelined NDJSON requests over its socket. */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./sequencer-server.ts', import.meta.url));

export interface RunningServer {
  child: ChildProcess;
  /** What the server wrote to stderr (its warn/error log). */
  stderr: () => string;
  /** What the server wrote to stdout. */
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts the server and resolves once it listens; rejects with its stderr if it exits first. */
export function startServer(dataDir: string, socketPath: string, snapshotEveryCommands: number, env: Record<string, string> = {}): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, dataDir, socketPath, String(snapshotEveryCommands)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('READY\n')) resolve({ child, stderr: () => err, stdout: () => out, exited });
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before it was ready:\n${err}`)));
  });
}

export class HarnessClient {
  private nextId = 1;
  private buffered = '';
  private readonly waiting = new Map<number, { resolve: (reply: Record<string, unknown>) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    const fail = () => {
      for (const { reject } of this.waiting.values()) reject(new Error('connection lost before the reply'));
      this.waiting.clear();
    };
    socket.on('close', fail);
    socket.on('error', fail);
  }

  static connect(socketPath: string): Promise<HarnessClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath, () => resolve(new HarnessClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one request; resolves with the reply, or rejects if the connection drops first. */
  request(body: object): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ id, ...body }) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const reply = JSON.parse(this.buffered.slice(0, newline)) as { id: number } & Record<string, unknown>;
      this.buffered = this.buffered.slice(newline + 1);
      this.waiting.get(reply.id)?.resolve(reply);
      this.waiting.delete(reply.id);
    }
  }
}
