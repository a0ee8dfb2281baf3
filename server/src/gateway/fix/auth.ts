/**
 * Logon authentication seam. The shared auth library's RequestVerifier satisfies it: Username(553)
 * is the API key id, the credential is the base64 signature of the Logon prehash (see
 * fixLogonPrehash in server/src/auth/canonical.ts) carried in Password(554) or RawData(96).
 */
import type { AuthResult, FixLogonToVerify } from '../../auth/verifier.js';
import { AUTH_ERROR_CATALOG } from '../../auth/errors.js';

export interface LogonAuthenticator {
  verifyFixLogon(logon: FixLogonToVerify): Promise<AuthResult>;
}

/** The Logout text for a refused Logon: the stable code and its title. */
export function logonFailureText(result: Extract<AuthResult, { ok: false }>): string {
  const entry = AUTH_ERROR_CATALOG[result.code];
  const retry = result.retryAfterSeconds !== undefined ? ` (retry after ${result.retryAfterSeconds} s)` : '';
  return `${result.code}: ${entry?.title ?? 'Authentication failed'}${retry}`;
}
