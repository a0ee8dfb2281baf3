/**
 * Acknowledgement order check (`npm run bench:ack-order`): proves from the system calls that no
 * acknowledgement leaves the process before the fdatasync that makes its command durable has
 * returned, with the group commit pipelined.
 *
 * A durable sequencer (real core, journal, replica) serves NDJSON over a Unix socket, run under
 *   strace -f -ttt -T -s 65536 -e trace=fdatasync,pwrite64,writev,write
 * and C clients keep K orders each in flight, every order with its own clientOrderId. From the
 * trace: each journal pwrite64 gives the record index of each clientOrderId; each journal
 * fdatasync covers the records whose pwrite64 had returned when it began, and makes them
 * durable when it returns; each reply (a write or writev on the socket) carries the request
 * id n of its order, whose clientOrderId is ack-n. Every reply must start after a covering fdatasync returned. It also counts the
 * pipelined batches (a journal write that began while an fdatasync was still running).
 *
 *   npm run bench:ack-order [-- --orders 20000 --clients 8 --in-flight 16]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Command } from '../server/src/core/api.js';
import { openDurableSequencer } from '../server/src/sequencer/durable.js';

const ACCOUNTS = 50;

function setupCommands(): Command[] {
  const commands: Command[] = [
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    {
      type: 'AddInstrument', spec: {
        symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000',
        minNotional: '0', priceBandBps: 0, status: 'open',
      },
    },
  ];
  for (let a = 0; a < ACCOUNTS; a++) {
    commands.push({ type: 'CreateAccount', accountId: `a${a}`, maxOpenOrders: 1_000_000 });
    commands.push({ type: 'Deposit', accountId: `a${a}`, asset: 'USD', amount: '1000000000' });
    commands.push({ type: 'Deposit', accountId: `a${a}`, asset: 'BTC', amount: '10000000' });
  }
  return commands;
}

/** The server side: the real durable sequencer behind a Unix socket; replies once submit resolves. */
async function serve(dataDir: string, socketPath: string): Promise<void> {
  const bus = await openDurableSequencer({ dataDir, logger: pino({ level: 'warn' }, pino.destination(2)), snapshotOnClose: false });
  for (const command of setupCommands()) await bus.submit(command);
  const server = createServer((socket: Socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const { id, command } = JSON.parse(buffered.slice(0, newline)) as { id: number; command: Command };
        buffered = buffered.slice(newline + 1);
        void bus.submit(command).then((result) => socket.write(`${JSON.stringify({ id, result })}\n`));
      }
    });
  });
  server.listen(socketPath, () => process.stdout.write(`READY ${process.pid}\n`));
  process.on('SIGTERM', () => {
    server.close();
    void bus.close().then(() => process.exit(0));
  });
}

async function client(socketPath: string, next: () => number | undefined, inFlight: number): Promise<number> {
  const socket = connect(socketPath);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.setEncoding('utf8');
  let replies = 0;
  let buffered = '';
  return new Promise((resolve) => {
    let open = 0;
    const send = (): void => {
      const n = next();
      if (n === undefined) {
        if (open === 0) {
          socket.end();
          resolve(replies);
        }
        return;
      }
      open++;
      const side = n % 2 === 0 ? 'buy' : 'sell';
      const price = (side === 'buy' ? 100 - (n % 7) * 0.01 : 100 + (n % 5) * 0.01).toFixed(2);
      const command: Command = {
        type: 'PlaceOrder', accountId: `a${n % ACCOUNTS}`, symbol: 'BTC-USD', side, orderType: 'limit', timeInForce: n % 3 === 0 ? 'IOC' : 'GTC',
        price, quantity: '0.001', clientOrderId: `ack-${n}`,
      };
      socket.write(`${JSON.stringify({ id: n, command })}\n`);
    };
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        buffered = buffered.slice(newline + 1);
        replies++;
        open--;
        send();
      }
    });
    for (let i = 0; i < inFlight; i++) send();
  });
}

interface Call { pid: string; name: string; fd: number; start: number; end: number; text: string }

/** Every traced call with its start and end time (strace prints unfinished calls in two parts). */
function parseTrace(file: string): Call[] {
  const calls: Call[] = [];
  const open = new Map<string, Call>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const whole = /^(\d+)\s+([\d.]+) (\w+)\((\d+), (.*)$/.exec(line) ?? /^(\d+)\s+([\d.]+) (\w+)\((\d+)(.*)$/.exec(line);
    if (whole && !line.includes('resumed>')) {
      const [, pid, at, name, fd, rest] = whole;
      const call: Call = { pid: pid!, name: name!, fd: Number(fd), start: Number(at), end: Number.NaN, text: rest! };
      if (rest!.includes('<unfinished ...>')) open.set(`${pid} ${name}`, call);
      else {
        const took = /<([\d.]+)>$/.exec(rest!);
        call.end = call.start + (took ? Number(took[1]) : 0);
        calls.push(call);
      }
      continue;
    }
    const resumed = /^(\d+)\s+([\d.]+) <\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (resumed) {
      const [, pid, , name, rest] = resumed;
      const call = open.get(`${pid} ${name}`);
      if (!call) continue;
      open.delete(`${pid} ${name}`);
      const took = /<([\d.]+)>$/.exec(rest!);
      call.end = call.start + (took ? Number(took[1]) : 0);
      call.text += rest!;
      calls.push(call);
    }
  }
  return calls;
}

function analyse(calls: Call[]): string[] {
  const recordWrites = calls.filter((c) => c.name === 'pwrite64' && c.text.includes('{\\"n\\":'));
  const journalFds = new Set(recordWrites.map((c) => c.fd));
  /** clientOrderId number -> journal record index */
  const indexOf = new Map<number, number>();
  const writes: { start: number; end: number; last: number }[] = [];
  for (const w of recordWrites) {
    let last = 0;
    for (const part of w.text.split('{\\"n\\":').slice(1)) {
      const n = Number(/^(\d+)/.exec(part)?.[1]);
      last = Math.max(last, n);
      const order = /clientOrderId\\":\\"ack-(\d+)/.exec(part);
      if (order) indexOf.set(Number(order[1]), n);
    }
    writes.push({ start: w.start, end: w.end, last });
  }
  const syncs = calls.filter((c) => c.name === 'fdatasync' && journalFds.has(c.fd)).sort((a, b) => a.start - b.start);
  // A sync covers every record whose pwrite64 had returned when the sync began.
  const durableAt = syncs.map((s) => ({ end: s.end, covers: Math.max(0, ...writes.filter((w) => w.end <= s.start).map((w) => w.last)) })).sort((a, b) => a.end - b.end);
  const replies = calls.filter((c) => (c.name === 'write' || c.name === 'writev') && !journalFds.has(c.fd) && c.text.includes('\\"result\\"'));
  let checked = 0;
  const violations: string[] = [];
  const margins: number[] = [];
  for (const reply of replies) {
    // One write may carry several replies; each is {"id":n,"result":...} for the order ack-n.
    for (const match of reply.text.matchAll(/\{\\"id\\":(\d+),\\"result\\"/g)) {
      const index = indexOf.get(Number(match[1]));
      if (index === undefined) {
        violations.push(`reply for ack-${match[1]} at ${reply.start} but its record was never written`);
        continue;
      }
      const covering = durableAt.find((d) => d.covers >= index);
      checked++;
      if (!covering || covering.end > reply.start) violations.push(`reply for ack-${match[1]} (record ${index}) at ${reply.start} before its fdatasync returned (${covering?.end ?? 'never'})`);
      else margins.push((reply.start - covering.end) * 1e6);
    }
  }
  const pipelined = writes.filter((w) => syncs.some((s) => s.start < w.start && s.end > w.start)).length;
  let overlap = 0;
  for (const s of syncs) overlap = Math.max(overlap, syncs.filter((o) => o.start < s.start && o.end > s.start).length + 1);
  margins.sort((a, b) => a - b);
  const pct = (p: number) => (margins.length ? margins[Math.min(margins.length - 1, Math.floor(p * margins.length))]!.toFixed(0) : '-');
  return [
    `journal batches written: ${writes.length}; of them pipelined (written while an earlier batch's fdatasync ran): ${pipelined}; journal fdatasyncs: ${syncs.length}, at most ${overlap} running at once`,
    `order replies checked: ${checked}; sent before their batch's fdatasync returned: ${violations.length}`,
    `time from the covering fdatasync's return to the reply's write, µs: p50 ${pct(0.5)}, p99 ${pct(0.99)}, min ${margins.length ? margins[0]!.toFixed(0) : '-'}`,
    ...violations.slice(0, 10),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { orders: { type: 'string', default: '20000' }, clients: { type: 'string', default: '8' }, 'in-flight': { type: 'string', default: '16' } } });
  const orders = Number(values.orders);
  const dir = mkdtempSync(join(tmpdir(), 'bench-ack-order-'));
  const socketPath = join(dir, 'server.sock');
  const trace = join(dir, 'strace.txt');
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const child = spawn('strace', ['-f', '-ttt', '-T', '-s', '65536', '-e', 'trace=fdatasync,pwrite64,writev,write', '-o', trace,
    process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', join(dir, 'data'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const serverPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /READY (\d+)\n/.exec(out);
      if (ready) resolve(Number(ready[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  let sent = 0;
  const next = () => (sent < orders ? sent++ : undefined);
  const started = performance.now();
  const replies = (await Promise.all(Array.from({ length: Number(values.clients) }, () => client(socketPath, next, Number(values['in-flight']))))).reduce((a, b) => a + b, 0);
  const seconds = (performance.now() - started) / 1000;
  // The server closes (everything durable) and exits; strace ends with it.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(serverPid, 'SIGTERM');
  await exited;
  console.log(`Node ${process.version}, load average at start ${load}; ${replies} orders acknowledged in ${seconds.toFixed(1)} s under strace, ${values.clients} clients x ${values['in-flight']} in flight`);
  for (const line of analyse(parseTrace(trace))) console.log(line);
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--serve') await serve(process.argv[3]!, process.argv[4]!);
else await main();
