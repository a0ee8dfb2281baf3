/**
 * The disk's own floor for a synced session file: small records appended and fdatasynced as the
 * FIX session file does (one positional write, then one fdatasync, both on the thread pool), with
 * nothing else in the process. Whatever this measures, no commit of a synced file can beat.
 *
 *   npm run bench:fdatasync-probe                       # both phases, growing file and preallocated
 *   npm run bench:fdatasync-probe -- --rate 5000 --seconds 5 --bytes 300 --bursts 200 --burst 50
 *   npm run bench:fdatasync-probe -- --dir /some/disk   # another file system (default: the OS temp dir)
 *   npm run bench:fdatasync-probe -- --store [--from /path/to/other/checkout]
 *
 * Phase "paced": one record every 1/--rate s (a record whose turn comes while the previous sync
 * runs waits for it, as commits do). Phase "burst": --burst records back to back, each with its
 * own sync, then a 10 ms pause, --bursts times. Each phase runs twice: appending past the end of
 * the file (every sync must also commit the file's new size), and overwriting space zero-filled
 * ahead of time (the journal's way: the size does not change, so the sync carries only data).
 * Printed per case: p50 / p99 / p99.9 / max of the fdatasync alone, and of write + fdatasync.
 *
 * --store: the same two phases through the FIX session store on the session file (this
 * checkout's, or --from's), one sent message and its sequence numbers per record as a report
 * queues them; timed from the queueing to the store's callback (when the report may leave),
 * after half a second of warm-up.
 */
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'hdr-histogram-js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
function textArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const RATE = arg('rate', 5_000);
const SECONDS = arg('seconds', 5);
const BYTES = arg('bytes', 300);
const BURSTS = arg('bursts', 200);
const BURST = arg('burst', 50);
const DIR = textArg('dir', tmpdir());
const STORE = process.argv.includes('--store');
const FROM = resolve(textArg('from', resolve(import.meta.dirname, '..')));

type Histogram = ReturnType<typeof build>;
const histogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });

const write = (fd: number, data: Buffer, at: number) =>
  new Promise<void>((resolve, reject) => fs.write(fd, data, 0, data.length, at, (err) => (err ? reject(err) : resolve())));
const fdatasync = (fd: number) => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One file to append to; `preallocate` zero-fills (and syncs) space for every record first. */
class ProbeFile {
  readonly fd: number;
  position = 0;
  readonly sync = histogram();
  readonly commit = histogram();
  readonly record = Buffer.alloc(BYTES, 0x61);

  constructor(path: string, preallocateBytes: number) {
    this.fd = fs.openSync(path, 'w+');
    if (preallocateBytes > 0) {
      const zeros = Buffer.alloc(1 << 20);
      for (let at = 0; at < preallocateBytes; at += zeros.length) fs.writeSync(this.fd, zeros, 0, zeros.length, at);
      fs.fsyncSync(this.fd);
    }
  }

  async append(): Promise<void> {
    const t0 = performance.now();
    await write(this.fd, this.record, this.position);
    this.position += this.record.length;
    const t1 = performance.now();
    await fdatasync(this.fd);
    const t2 = performance.now();
    this.sync.recordValue(Math.round((t2 - t1) * 1000));
    this.commit.recordValue(Math.round((t2 - t0) * 1000));
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

async function paced(file: ProbeFile): Promise<void> {
  const total = RATE * SECONDS;
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait - 1);
    while (performance.now() < due) await new Promise<void>((resolve) => setImmediate(resolve));
    await file.append();
  }
}

async function bursts(file: ProbeFile): Promise<void> {
  for (let b = 0; b < BURSTS; b++) {
    for (let n = 0; n < BURST; n++) await file.append();
    await sleep(10);
  }
}

const us = (h: Histogram, p: number) => (h.getValueAtPercentile(p) / 1000).toFixed(3);
function report(name: string, file: ProbeFile): void {
  const line = (what: string, h: Histogram) =>
    `${name.padEnd(28)} ${what.padEnd(18)} n ${h.totalCount}  p50 ${us(h, 50)}  p99 ${us(h, 99)}  p99.9 ${us(h, 99.9)}  max ${(h.maxValue / 1000).toFixed(3)} ms`;
  console.log(line('fdatasync', file.sync));
  console.log(line('write + fdatasync', file.commit));
}

/** A report's wait through the session store: queued, committed (write + fdatasync), callback. */
class StoreProbe {
  readonly commit = histogram();
  readonly sync = histogram();
  #seq = 1;
  private constructor(private readonly store: { saveMessage(k: string, s: number, r: string): void; saveSeqs(k: string, s: { nextSender: number; nextTarget: number }): void; whenCommitted(cb: () => void): void; close(): Promise<void> }) {}

  static async open(path: string): Promise<StoreProbe> {
    const { FileFixSessionBackend } = await import(pathToFileURL(join(FROM, 'server/src/gateway/fix/file-session-backend.ts')).href);
    const { FixSessionStore } = await import(pathToFileURL(join(FROM, 'server/src/gateway/fix/store.ts')).href);
    return new StoreProbe(await FixSessionStore.open(new FileFixSessionBackend(path)));
  }

  /** `timed` false: a warm-up report (the first half second), not recorded. */
  append(timed = true): Promise<void> {
    const seq = this.#seq++;
    const t0 = performance.now();
    this.store.saveMessage('FIX.4.4:EXCH->BENCH|bench', seq, RAW);
    this.store.saveSeqs('FIX.4.4:EXCH->BENCH|bench', { nextSender: seq + 1, nextTarget: seq });
    return new Promise((done) => this.store.whenCommitted(() => {
      if (timed) this.commit.recordValue(Math.round((performance.now() - t0) * 1000));
      done();
    }));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
const RAW = `8=FIX.4.4\x019=200\x0135=8\x01${'x'.repeat(Math.max(0, BYTES - 40))}\x0110=000\x01`;

/** Paced: one report per 1/RATE s, none waiting for the previous one (they overlap, as a session's do). */
async function storePaced(probe: StoreProbe): Promise<void> {
  const warmUp = RATE / 2;
  const total = RATE * SECONDS + warmUp;
  const started = performance.now();
  const waits: Array<Promise<void>> = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait - 1);
    while (performance.now() < due) await new Promise<void>((resolve) => setImmediate(resolve));
    waits.push(probe.append(n >= warmUp));
  }
  await Promise.all(waits);
}

async function storeBursts(probe: StoreProbe): Promise<void> {
  for (let b = 0; b < BURSTS; b++) {
    const waits: Array<Promise<void>> = [];
    for (let n = 0; n < BURST; n++) {
      waits.push(probe.append());
      // One report per turn, so a burst spreads over several commits as the sessions' do.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(waits);
    await sleep(10);
  }
}

const dir = mkdtempSync(join(DIR, 'fdatasync-probe-'));
try {
  if (STORE) {
    console.log(`session store probe (${FROM}): ${BYTES}-byte reports in ${dir}; paced ${RATE}/s for ${SECONDS} s; ${BURSTS} bursts of ${BURST}, one a turn`);
    const line = (name: string, h: Histogram) =>
      `${name.padEnd(28)} queued -> durable   n ${h.totalCount}  p50 ${us(h, 50)}  p99 ${us(h, 99)}  p99.9 ${us(h, 99.9)}  max ${(h.maxValue / 1000).toFixed(3)} ms`;
    const paced = await StoreProbe.open(join(dir, 'paced.log'));
    await storePaced(paced);
    await paced.close();
    console.log(line(`paced ${RATE}/s`, paced.commit));
    const burst = await StoreProbe.open(join(dir, 'burst.log'));
    await storeBursts(burst);
    await burst.close();
    console.log(line(`bursts of ${BURST}`, burst.commit));
  } else {
    console.log(`fdatasync probe: ${BYTES}-byte records in ${dir}; paced ${RATE}/s for ${SECONDS} s; ${BURSTS} bursts of ${BURST}`);
    const room = (RATE * SECONDS + BURSTS * BURST) * BYTES + (1 << 20);
    for (const preallocated of [false, true]) {
      const kind = preallocated ? 'preallocated' : 'growing';
      const file = new ProbeFile(join(dir, `${kind}.log`), preallocated ? room : 0);
      try {
        await paced(file);
        report(`paced ${RATE}/s, ${kind}`, file);
        const burstFile = new ProbeFile(join(dir, `${kind}-burst.log`), preallocated ? room : 0);
        try {
          await bursts(burstFile);
          report(`bursts of ${BURST}, ${kind}`, burstFile);
        } finally {
          burstFile.close();
        }
      } finally {
        file.close();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
