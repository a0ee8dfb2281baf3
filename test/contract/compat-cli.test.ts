import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm run compat` on real copies of the contract: the released document against edited candidates.
const dir = mkdtempSync(join(tmpdir(), 'compat-cli-'));
const released = JSON.parse(readFileSync('api-spec/released/openapi.json', 'utf8'));

function runCompat(candidate: object): { status: number | null; stdout: string } {
  const file = join(dir, `candidate-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(candidate));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/compat.ts', '--spec', file], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

describe('npm run compat', () => {
  it('passes the working contract', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/compat.ts'], { encoding: 'utf8' });
    expect(out).toContain('Compatible with the released contract.');
  });

  it('fails when a released response field is removed', () => {
    const candidate = structuredClone(released);
    const instrument = candidate.components.schemas.Instrument;
    delete instrument.properties.minNotional;
    instrument.required = instrument.required.filter((f: string) => f !== 'minNotional');
    const r = runCompat(candidate);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/BREAKING remove .*minNotional/);
  });

  it('passes when a new optional response field is added', () => {
    const candidate = structuredClone(released);
    candidate.components.schemas.Instrument.properties.displayName = { type: 'string', example: 'Bitcoin / US dollar' };
    const r = runCompat(candidate);
    expect(r.stdout).toContain('0 breaking');
    expect(r.status).toBe(0);
  });
});
