/**
 * `bench:fix -- --quickfix`: our acceptor against a QuickFIX/C++ acceptor (Debian's
 * libquickfix-dev), both driven by the same QuickFIX/C++ initiator in alternating bursts: round
 * by round, one burst on our session, then one on QuickFIX's. Reports each side's median burst
 * rate and their ratio. The C++ programs are compiled once and cached by source hash in the
 * system's temporary directory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../test/helpers/free-port.js';

export interface BurstResult {
  acceptor: 'ours' | 'quickfix';
  round: number;
  warmup: boolean;
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  rejected: number;
  /** CPU seconds the initiator used during the burst (all its threads). */
  driverCpuSeconds: number;
}

export interface CompareOptions {
  /** Our acceptor's port, and the key the initiator signs its Logon with (SenderCompID BENCH). */
  ourPort: number;
  keyId: string;
  /** The key's secret, base64url. */
  secret: string;
  dictionary: string;
  rounds: number;
  warmup: number;
  burst: number;
}

export interface Comparison {
  bursts: BurstResult[];
  oursMedian: number;
  quickfixMedian: number;
  /** Median share of one core the initiator used during each side's bursts (near 1: the driver bounds the rate). */
  oursDriverShare: number;
  quickfixDriverShare: number;
  /** Rounds (warm-up excluded) in which our burst was the faster. */
  oursFaster: number;
}

const FLAGS = ['-std=gnu++14', '-O2', '-w'];

function quickfixFlags(): string[] {
  try {
    return execFileSync('pkg-config', ['--cflags', '--libs', 'quickfix'], { encoding: 'utf8' }).trim().split(/\s+/);
  } catch {
    throw new Error('QuickFIX is not installed: apt-get install -y g++ pkg-config libquickfix-dev');
  }
}

/** The signed Logon, shared with the interop test's initiator (the driver includes it). */
const SIGNED_LOGON_HEADER = new URL('../../test/interop/quickfix/signed-logon.h', import.meta.url).pathname;

/** Compiles bench/quickfix/<name>.cpp unless a binary of the same sources and flags is cached. */
function build(name: 'acceptor' | 'initiator'): string {
  const source = new URL(`./${name}.cpp`, import.meta.url).pathname;
  const libs = [...quickfixFlags(), '-lcrypto', '-lpthread'];
  const hash = createHash('sha256').update(readFileSync(source)).update(readFileSync(SIGNED_LOGON_HEADER)).update(FLAGS.concat(libs).join(' ')).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'quickfix-bench');
  const binary = join(dir, `${name}-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}`;
  console.error(`compiling ${name}.cpp against QuickFIX`);
  execFileSync('g++', [...FLAGS, source, '-o', partial, ...libs], { stdio: 'inherit' });
  renameSync(partial, binary);
  return binary;
}

/** Resolves with the child's stdout lines as they come; rejects if it exits before `until` says stop. */
function lines(child: ChildProcess, until: (line: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!done && until(line)) { done = true; resolve(); }
    });
    child.on('exit', (code) => { if (!done) reject(new Error(`${child.spawnfile} exited with ${code}`)); });
  });
}

export const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function compareWithQuickfix(o: CompareOptions): Promise<Comparison> {
  const acceptorBinary = build('acceptor');
  const initiatorBinary = build('initiator');
  const workdir = mkdtempSync(join(tmpdir(), 'quickfix-acceptor-'));
  const port = await freePort();
  const theirs = spawn(acceptorBinary, [String(port), 'QFX', o.dictionary, workdir], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await lines(theirs, (line) => line === 'READY');
    const bursts: BurstResult[] = [];
    const driver = spawn(initiatorBinary, [o.dictionary, String(o.rounds), String(o.warmup), String(o.burst), String(o.ourPort), o.keyId, o.secret, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const finished = new Promise<number | null>((resolve) => driver.on('exit', resolve));
    createInterface({ input: driver.stdout }).on('line', (line) => {
      console.log(line);
      if (line.startsWith('{')) bursts.push(JSON.parse(line) as BurstResult);
    });
    const code = await finished;
    if (code !== 0) throw new Error(`the QuickFIX initiator exited with ${code}`);
    const measured = bursts.filter((b) => !b.warmup);
    const of = (who: BurstResult['acceptor']) => measured.filter((b) => b.acceptor === who);
    const ours = of('ours').map((b) => b.ordersPerSecond);
    const quickfix = of('quickfix').map((b) => b.ordersPerSecond);
    const share = (who: BurstResult['acceptor']) => median(of(who).map((b) => b.driverCpuSeconds / b.seconds));
    return {
      bursts, oursMedian: median(ours), quickfixMedian: median(quickfix), oursFaster: ours.filter((r, i) => r > quickfix[i]!).length,
      oursDriverShare: share('ours'), quickfixDriverShare: share('quickfix'),
    };
  } finally {
    theirs.stdin!.end();
    await new Promise((resolve) => (theirs.exitCode === null ? theirs.on('exit', resolve) : resolve(undefined)));
    rmSync(workdir, { recursive: true, force: true });
  }
}
