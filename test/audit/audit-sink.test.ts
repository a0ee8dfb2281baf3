/**
 * Every audit sink (memory, PostgreSQL) keeps entries in order; the PostgreSQL table refuses to
 * change or lose one. The REST handler wrapper records operator actions and key changes only,
 * after they succeed, without response bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink, fanOutAudit, type AuditEntry, type AuditSink } from '../../server/src/audit/audit-sink.js';
import { PostgresAuditLog } from '../../server/src/audit/postgres-audit-log.js';
import { auditedHandlers, isAudited } from '../../server/src/gateway/rest/audited-handlers.js';
import type { HandlerMap } from '../../server/src/gateway/rest/operations.js';
import { connectPostgres, type PostgresPool } from '../../server/src/storage/postgres.js';
import { createTestDatabase, uniqueSchema, type TestDatabase } from '../helpers/postgres.js';

let database: TestDatabase;
const pools: PostgresPool[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const pool of pools) await pool.end();
  await database.drop();
});

async function postgresLog(): Promise<{ log: PostgresAuditLog; pool: PostgresPool }> {
  const pool = await connectPostgres(database.url, { schema: uniqueSchema(), max: 2 });
  pools.push(pool);
  return { log: new PostgresAuditLog(pool), pool };
}

const entry = (n: number): AuditEntry => ({ at: 1000 + n, actor: 'ak_op', action: 'operatorCreateAccount', subject: `acc-${n}`, detail: { body: { accountId: `acc-${n}` }, status: 201 } });

const sinks: [string, () => Promise<{ sink: AuditSink; read: () => Promise<AuditEntry[]> }>][] = [
  ['memory', async () => {
    const sink = new MemoryAuditSink();
    return { sink, read: async () => sink.entries };
  }],
  ['PostgreSQL', async () => {
    const { log } = await postgresLog();
    return { sink: log, read: () => log.entries() };
  }],
];

describe.each(sinks)('%s audit sink', (_name, make) => {
  it('keeps every entry, in the order recorded', async () => {
    const { sink, read } = await make();
    for (let n = 0; n < 5; n++) await sink.record(entry(n));
    expect(await read()).toEqual([0, 1, 2, 3, 4].map(entry));
  });
});

describe('the PostgreSQL audit table', () => {
  it('is append-only: an entry cannot be changed or deleted, nor the table emptied', async () => {
    const { log, pool } = await postgresLog();
    await log.record(entry(1));
    await expect(pool.query(`UPDATE audit_log SET actor = 'someone else'`)).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    expect(await log.entries('acc-1')).toEqual([entry(1)]);
  });
});

describe('audited REST handlers', () => {
  const request = (extra: Record<string, unknown>) => ({ query: {}, requestId: 'r', ip: '127.0.0.1', headers: {}, principal: { keyId: 'ak_op', accountId: 'operator', scopes: ['operator'] }, ...extra });

  it('records operator actions and key changes after they succeed, and nothing else', async () => {
    const sink = new MemoryAuditSink();
    const handlers = {
      operatorCreateAccount: async () => ({ status: 201, body: { accountId: 'acc-9' } }),
      createApiKey: async () => ({ status: 201, body: { key: { keyId: 'ak_new' }, secret: 'never-recorded' } }),
      revokeApiKey: async () => {
        throw new Error('no such key');
      },
      listOrders: async () => ({ status: 200, body: { data: [] } }),
    } as unknown as HandlerMap;
    const audited = auditedHandlers(handlers, sink, { clock: () => 42, onError: () => {} }) as unknown as Record<string, (req: unknown) => Promise<unknown>>;
    await audited.operatorCreateAccount!(request({ path: {}, body: { accountId: 'acc-9' } }));
    await audited.createApiKey!(request({ path: {}, body: { label: 'bot', scopes: ['read'] } }));
    await expect(audited.revokeApiKey!(request({ path: { keyId: 'ak_x' }, body: undefined }))).rejects.toThrow('no such key');
    await audited.listOrders!(request({ path: {}, body: undefined }));
    expect(sink.entries).toEqual([
      { at: 42, actor: 'ak_op', action: 'operatorCreateAccount', subject: 'acc-9', detail: { path: {}, body: { accountId: 'acc-9' }, status: 201 }, ip: '127.0.0.1', requestId: 'r' },
      { at: 42, actor: 'ak_op', action: 'createApiKey', subject: 'ak_new', detail: { path: {}, body: { label: 'bot', scopes: ['read'] }, status: 201, keyId: 'ak_new' }, ip: '127.0.0.1', requestId: 'r' },
    ]);
    expect(JSON.stringify(sink.entries)).not.toContain('never-recorded');
    expect(['operatorSetKillSwitch', 'revokeApiKey', 'createApiKey'].every(isAudited)).toBe(true);
    expect(['placeOrder', 'listApiKeys'].some(isAudited)).toBe(false);
  });

  it('a sink that fails is reported and the action still answers; fanOutAudit writes to every sink', async () => {
    const failing: AuditSink = { record: async () => Promise.reject(new Error('database down')) };
    const memory = new MemoryAuditSink();
    const errors: string[] = [];
    const handlers = { operatorSetKillSwitch: async () => ({ status: 200, body: { active: true } }) } as unknown as HandlerMap;
    const audited = auditedHandlers(handlers, fanOutAudit(memory, failing), { clock: () => 1, onError: (e, op) => errors.push(`${op}: ${(e as Error).message}`) }) as unknown as Record<string, (req: unknown) => Promise<unknown>>;
    expect(await audited.operatorSetKillSwitch!(request({ path: { accountId: 'acc-1' }, body: { active: true } }))).toEqual({ status: 200, body: { active: true } });
    expect(memory.entries.map((e) => e.subject)).toEqual(['acc-1']);
    expect(errors).toEqual(['operatorSetKillSwitch: database down']);
  });
});
