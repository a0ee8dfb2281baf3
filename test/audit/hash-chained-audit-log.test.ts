/**
 * The audit trail: operator actions and API key changes made over REST are appended with who,
 * what, when, the client address and the request id, each entry chained to the one before; the
 * operator API lists them; `npm run audit -- verify` passes an intact log and fails one in which
 * a single entry was changed, and the service refuses to start on it.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainEntry, GENESIS_HASH, verifyChain, type ChainedAuditEntry } from '../../server/src/audit/hash-chain.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch } from '../helpers/signing.js';

const run = promisify(execFile);
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.stop();
});

async function auditCli(target: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/audit-cli.ts', 'verify', target]);
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, out: e.stderr };
  }
}

describe('the audit trail', () => {
  it('records operator actions and key changes with who, what, when, IP and request id, readable through the operator API', async () => {
    const trader = await svc.createTrader('audit-alice');
    const revoke = await signedFetch(svc.baseUrl, trader, 'DELETE', `/v1/api-keys/${trader.keyId}`, { headers: { 'X-Request-Id': 'revoke-req-1' } });
    expect(revoke.status).toBeLessThan(300);

    const page = await svc.asOperator('GET', '/v1/operator/audit?limit=500');
    expect(page.status).toBe(200);
    const entries = page.body.entries as ChainedAuditEntry[];
    const actions = entries.map((e) => `${e.action} ${e.subject}`);
    expect(actions).toEqual(expect.arrayContaining(['operatorCreateAccount audit-alice', 'operatorDeposit audit-alice', 'operatorCreateApiKey audit-alice', `revokeApiKey ${trader.keyId}`]));
    const revoked = entries.find((e) => e.action === 'revokeApiKey')!;
    expect(revoked).toMatchObject({ actor: trader.keyId, ip: expect.stringMatching(/127\.0\.0\.1/), requestId: 'revoke-req-1' });
    expect(Math.abs(revoked.at - Date.now())).toBeLessThan(60_000);
    const created = entries.find((e) => e.action === 'operatorCreateApiKey')!;
    expect(created.actor).toBe(svc.operator.keyId);
    // Secrets never reach the log.
    expect(JSON.stringify(entries)).not.toContain(trader.secret);
    // Chained: each entry names its predecessor's hash.
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);

    const second = await svc.asOperator('GET', `/v1/operator/audit?after=${entries[0]!.seq}&limit=1`);
    expect(second.body.entries.map((e: ChainedAuditEntry) => e.seq)).toEqual([2]);
    expect(second.body.nextAfter).toBe(2);
  });

  it('verifies with npm run audit -- verify, and fails once one entry is tampered with', async () => {
    const file = join(svc.dataDir, 'audit.log');
    const intact = await auditCli(svc.dataDir);
    expect(intact.code).toBe(0);
    expect(intact.out).toMatch(/audit log intact: \d+ entries/);

    const lines = readFileSync(file, 'utf8').split('\n');
    const victim = JSON.parse(lines[1]!) as ChainedAuditEntry;
    lines[1] = JSON.stringify({ ...victim, actor: 'someone-else' });
    const tampered = join(svc.dataDir, 'audit-tampered.log');
    writeFileSync(tampered, lines.join('\n'));
    const broken = await auditCli(tampered);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('BROKEN at line 2');
  });
});

describe('the hash chain', () => {
  const entry = fc.record({
    at: fc.integer({ min: 0, max: 2 ** 45 }),
    actor: fc.string({ minLength: 1, maxLength: 12 }),
    action: fc.constantFrom('operatorCreateAccount', 'createApiKey', 'revokeApiKey', 'operatorDeposit'),
    subject: fc.string({ maxLength: 12 }),
    ip: fc.ipV4(),
    requestId: fc.uuid(),
    detail: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer())),
  });
  const chain = (entries: Parameters<typeof chainEntry>[0][]): string[] => {
    let prev = GENESIS_HASH;
    return entries.map((e, i) => {
      const c = chainEntry(e, i + 1, prev);
      prev = c.hash;
      return JSON.stringify(c);
    });
  };

  it('accepts every chain it writes', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
      expect(verifyChain(chain(entries))).toMatchObject({ ok: true, entries: entries.length });
    }));
  });

  it('detects any change to one field of one entry, a removed entry and a swapped pair', () => {
    fc.assert(fc.property(fc.array(entry, { minLength: 2, maxLength: 12 }), fc.nat(), fc.constantFrom('at', 'actor', 'action', 'subject', 'ip', 'requestId', 'detail', 'prevHash', 'hash', 'seq'), (entries, pick, field) => {
      const lines = chain(entries);
      const i = pick % lines.length;
      const changed = JSON.parse(lines[i]!) as Record<string, unknown>;
      const before = changed[field];
      changed[field] = typeof before === 'number' ? before + 1 : typeof before === 'string' ? `${before}x` : { ...(before as object), tampered: true };
      const edited = [...lines];
      edited[i] = JSON.stringify(changed);
      expect(verifyChain(edited).ok).toBe(false);
      expect(verifyChain(lines.filter((_, j) => j !== i)).ok).toBe(i === lines.length - 1);
      const swapped = [...lines];
      [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
      expect(verifyChain(swapped).ok).toBe(false);
    }));
  });
});
