/**
 * npm run audit -- verify <data-dir | audit.log>
 *
 * Checks the audit log's hash chain: every entry's sequence, its link to the previous entry and
 * its own hash. Read-only, so safe against a running server. Exit status: 0 intact, 1 broken,
 * 2 usage error.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditFile } from '../server/src/audit/file-audit-log.js';

const [command, target] = process.argv.slice(2);
if (command !== 'verify' || target === undefined) {
  console.error('usage: npm run audit -- verify <data-dir | audit.log>');
  process.exit(2);
}
const file = existsSync(target) && statSync(target).isDirectory() ? join(target, 'audit.log') : target;
if (!existsSync(file)) {
  console.error(`no audit log at ${file}`);
  process.exit(2);
}
const verdict = verifyAuditFile(file);
if (verdict.ok) {
  console.log(`audit log intact: ${verdict.entries} entries, last hash ${verdict.lastHash}`);
  process.exit(0);
}
console.error(`audit log BROKEN at line ${verdict.line} (after ${verdict.entries} intact entries): ${verdict.reason}`);
process.exit(1);
