/**
 * A minimal server process for crash tests: the real durable sequencer and the real core,
 * reachable over a Unix socket speaking newline-delimited JSON. A command is acknowledged only
 * after `submit` resolves, exactly as a gateway would. Run:
 *   node --import tsx test/durability/harness/sequencer-server.ts <dataDir> <socketPath> [snapshotEveryCommands]
 * It prints "READY" on stdout once it accepts connections. With PIPELINE_CRASH_POINT=1 in the
 * environment its journal runs on the crash-point file layer (pipeline-crash-point.ts), armed
 * by the request {"arm":true}.
 *
 * Requests and replies (one JSON object per line):
 *   {"id":1,"command":{...}}                              -> {"id":1,"result":CommandResult} | {"id":1,"error":{"name","message"}}
 *   {"id":2,"query":"state","accounts":[..],"symbols":[..]} -> {"id":2,"state":{seq,books,balances}}
 *   {"id":3,"query":"history","accountId":"..."}          -> {"id":3,"history":{orders,fills}}
 */
import { createServer, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import pino from 'pino';
import type { Command } from '../../../server/src/core/api.js';
import type { Page } from '../../../server/src/history/index.js';
import { openDurableSequencer, type DurableSequencer } from '../../../server/src/sequencer/durable.js';
import { PipelineCrashPoint } from './pipeline-crash-point.js';

const crashPoint = process.env.PIPELINE_CRASH_POINT === '1' ? new PipelineCrashPoint() : undefined;

type Request =
  | { id: number; command: Command }
  | { id: number; query: 'state'; accounts: string[]; symbols: string[] }
  | { id: number; query: 'history'; accountId: string }
  | { id: number; arm: true };

function allPages<T>(fetch: (cursor: string | undefined) => Page<T>): T[] {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = fetch(cursor);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

function answer(bus: DurableSequencer, request: Request): Promise<object> | object {
  if ('arm' in request) {
    if (!crashPoint) return { error: { name: 'Error', message: 'started without PIPELINE_CRASH_POINT=1' } };
    crashPoint.arm();
    return { armed: true };
  }
  if ('command' in request) {
    return bus.submit(request.command).then(
      (result) => ({ result }),
      (error: Error) => ({ error: { name: error.name, message: error.message } }),
    );
  }
  if (request.query === 'state') {
    const books = Object.fromEntries(request.symbols.map((s) => [s, bus.core.book(s)]));
    const balances = Object.fromEntries(request.accounts.map((a) => [a, bus.core.balances(a) ?? null]));
    return { state: { seq: bus.core.seq, books, balances } };
  }
  const { accountId } = request;
  return bus.historySynced().then(() => ({
    history: {
      orders: allPages((c) => bus.history.listOrders(accountId, {}, c, 1000)),
      fills: allPages((c) => bus.history.listFills(accountId, {}, c, 1000)),
    },
  }));
}

function serve(bus: DurableSequencer, socket: Socket): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const request = JSON.parse(buffered.slice(0, newline)) as Request;
      buffered = buffered.slice(newline + 1);
      void Promise.resolve(answer(bus, request)).then((reply) => {
        if (!socket.destroyed) socket.write(JSON.stringify({ id: request.id, ...reply }) + '\n');
      });
    }
  });
}

async function main(): Promise<void> {
  const [dataDir, socketPath, snapshotEvery] = process.argv.slice(2);
  if (!dataDir || !socketPath) throw new Error('usage: sequencer-server.ts <dataDir> <socketPath> [snapshotEveryCommands]');
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const bus = await openDurableSequencer({
    dataDir,
    logger,
    snapshotEveryCommands: snapshotEvery ? Number(snapshotEvery) : 500,
    // Keep every snapshot and so every journal segment: the test replays the whole journal.
    snapshotsKept: 1_000_000,
    ...(crashPoint && { fileSystem: crashPoint }),
  });
  rmSync(socketPath, { force: true });
  const server = createServer((socket) => serve(bus, socket));
  server.listen(socketPath, () => process.stdout.write('READY\n'));
  process.on('SIGTERM', () => {
    server.close();
    void bus.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
