/** The operator's read of the audit trail (GET /v1/operator/audit), a page at a time. */
import type { AuditLog } from '../../../audit/file-audit-log.js';
import type { HandlerMap } from '../operations.js';

export function auditHandlers(deps: { audit: AuditLog }): Pick<HandlerMap, 'operatorListAuditEntries'> {
  return {
    operatorListAuditEntries: async ({ query }) => {
      const after = query.after ?? 0;
      const limit = query.limit ?? 100;
      // One more than asked for tells whether another page follows.
      const entries = await deps.audit.list(after, limit + 1);
      const page = entries.slice(0, limit);
      return {
        status: 200,
        body: { entries: page, ...(entries.length > limit && { nextAfter: page.at(-1)!.seq }) },
      };
    },
  };
}
