import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs the fixture and collects its standard output until it exits. */
function runFixture(lines: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/observability/fixtures/log-then-exit.ts', String(lines)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('the process logger on a clean exit', () => {
  // The destination writes asynchronously; lines still buffered when process.exit runs must be flushed, not lost.
  it('writes every line logged before process.exit(0)', async () => {
    const { code, stdout } = await runFixture(20_000);
    expect(code).toBe(0);
    const written = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { i: number });
    expect(written).toHaveLength(20_000);
    expect(written.at(-1)!.i).toBe(19_999);
  });
});
