import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../server/src/core/api.js';
import { openDurableSequencer } from '../../server/src/sequencer/durable.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { dataEnd } from './journal-files.js';

const newDir = tempDirs('journal-cli');

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/journal-cli.ts', ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const commands: Command[] = [
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } },
  { type: 'CreateAccount', accountId: 'alice' },
  ...Array.from({ length: 30 }, (_, i): Command => ({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: `${i + 1}.25` })),
];

let dataDir: string;
beforeAll(async () => {
  dataDir = newDir();
  const bus = await openDurableSequencer({ dataDir, logger: pino({ level: 'silent' }), snapshotOnClose: false });
  for (const [i, command] of commands.entries()) {
    await bus.submit(command);
    if (i === 11 || i === 21) await bus.snapshotNow();
  }
  await bus.close();
});

function copy(): string {
  const dir = newDir();
  cpSync(dataDir, dir, { recursive: true });
  return dir;
}

describe('journal CLI', () => {
  it('dump prints every record still in the journal as one JSON line, in order, optionally a range', () => {
    // The snapshot at record 12 retired the segment holding records 1..12.
    const all = cli('dump', dataDir);
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n').map((line) => JSON.parse(line) as { n: number; command: Command });
    expect(lines.map((l) => l.n)).toEqual(commands.map((_, i) => i + 1).slice(12));
    expect(lines.map((l) => l.command)).toEqual(commands.slice(12));

    const range = cli('dump', join(dataDir, 'journal'), '--from', '15', '--to', '17');
    expect(range.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { n: number }).n)).toEqual([15, 16, 17]);
  });

  it('verify passes an intact directory and checks each snapshot against the replayed journal', () => {
    const run = cli('verify', dataDir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('snapshot at record 22: matches the replayed journal');
    expect(run.stdout).toContain('journal: records 13..32');
    expect(run.stdout).toContain('result: ok');
  });

  it('verify reports a torn tail without calling it damage', () => {
    const dir = copy();
    const segment = join(dir, 'journal', readdirSync(join(dir, 'journal')).sort().pop()!);
    // Three bytes of a record that never finished, where the zero fill began.
    const bytes = readFileSync(segment);
    bytes.set([7, 1, 1], dataEnd(bytes));
    writeFileSync(segment, bytes);
    const run = cli('verify', dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/torn tail: 3 bytes/);
  });

  it('verify fails on damage in the middle of the journal and on a damaged snapshot', () => {
    const middle = copy();
    const segment = join(middle, 'journal', readdirSync(join(middle, 'journal')).sort()[0]!);
    const bytes = readFileSync(segment);
    bytes[200]! ^= 0x20;
    writeFileSync(segment, bytes);
    const broken = cli('verify', middle);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/journal: DAMAGED: .*later batches follow it/);

    const snap = copy();
    const file = join(snap, 'snapshots', readdirSync(join(snap, 'snapshots')).sort()[0]!);
    const snapshotBytes = readFileSync(file);
    snapshotBytes[snapshotBytes.length - 3]! ^= 0x01;
    writeFileSync(file, snapshotBytes);
    const run = cli('verify', snap);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/DAMAGED \(checksum mismatch\)/);
  });

  it('verify fails when no snapshot reaches back to where the journal starts', () => {
    const dir = copy();
    for (const name of readdirSync(join(dir, 'snapshots'))) rmSync(join(dir, 'snapshots', name));
    const run = cli('verify', dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('journal starts at record 13, but no intact snapshot covers the records before it');
  });

  it('says how to use it', () => {
    const run = cli('frobnicate', dataDir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: journal');
  });
});
