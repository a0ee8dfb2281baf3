/**
 * Upgrade of the FIX session store. Sessions used to be stored under their SenderCompID alone
 * (`FIX.4.4:<our CompID>-><their CompID>`); a session is now (account, SenderCompID), stored as
 * `...|<account>`. Without this step an upgraded gateway would start every existing session at
 * sequence number 1 with nothing to resend. At start-up, each old-keyed session moves to the
 * account that owns its SenderCompID, when that mapping is unambiguous:
 *   - the key store names an owner of the SenderCompID;
 *   - every message stored for resend carries that account (Account(1)): a session that served
 *     two accounts (the takeover the new identity prevents) is not handed to either;
 *   - nothing is stored yet under the new key (the session has not logged on since the upgrade).
 * Anything else stays under the old key, untouched and unreachable, and is logged; the operator
 * can inspect it and the counterparty resets its sequence numbers (ResetSeqNumFlag=Y).
 */
import type { SqliteFixSessionBackend } from './sqlite-session-backend.js';
import { BEGIN_STRING } from './session.js';

export interface MigratedSession {
  from: string;
  to: string;
}

export interface KeptSession {
  key: string;
  reason: 'no-owner' | 'other-accounts' | 'already-migrated' | 'owner-lookup-failed';
}

export interface SessionKeyMigration {
  migrated: MigratedSession[];
  kept: KeptSession[];
}

/** The account of every Account(1) field in a stored message (at most one per message). */
const ACCOUNT_FIELD = /\x011=([^\x01]*)\x01/;

export async function migrateLegacySessionKeys(
  /** The SQLite session store, before the acceptor opens it (only SQLite files have such keys). */
  store: Pick<SqliteFixSessionBackend, 'sessionKeys' | 'hasSession' | 'renameSession' | 'messages'>,
  /** Our CompID: the TargetCompID of the stored sessions. */
  compId: string,
  /** The account that owns a SenderCompID (ApiKeyStore.compIdOwner). */
  ownerOf: (senderCompId: string) => Promise<string | undefined>,
): Promise<SessionKeyMigration> {
  const prefix = `${BEGIN_STRING}:${compId}->`;
  const result: SessionKeyMigration = { migrated: [], kept: [] };
  for (const key of store.sessionKeys()) {
    if (!key.startsWith(prefix) || key.includes('|', prefix.length)) continue;
    const sender = key.slice(prefix.length);
    let owner: string | undefined;
    try {
      owner = await ownerOf(sender);
    } catch {
      result.kept.push({ key, reason: 'owner-lookup-failed' });
      continue;
    }
    if (owner === undefined) {
      result.kept.push({ key, reason: 'no-owner' });
      continue;
    }
    const accounts = new Set<string>();
    for (const { raw } of store.messages(key, 1, Number.MAX_SAFE_INTEGER)) {
      const account = ACCOUNT_FIELD.exec(raw)?.[1];
      if (account !== undefined) accounts.add(account);
    }
    if ([...accounts].some((a) => a !== owner)) {
      result.kept.push({ key, reason: 'other-accounts' });
      continue;
    }
    const to = `${key}|${owner}`;
    if (store.hasSession(to)) {
      result.kept.push({ key, reason: 'already-migrated' });
      continue;
    }
    store.renameSession(key, to);
    result.migrated.push({ from: key, to });
  }
  return result;
}
