import { describe, expect, it } from 'vitest';
import { AUTH_ERROR_CATALOG, authApiError, type AuthErrorCode } from '../../server/src/auth/index.js';
import { ApiError } from '../../server/src/errors/api-error.js';

describe('auth error catalog', () => {
  it('has the stable codes, each keyed by its own code, with a 4xx/5xx status, title and description', () => {
    expect(Object.keys(AUTH_ERROR_CATALOG).sort()).toEqual([
      'AUTH_INVALID', 'AUTH_IP_NOT_ALLOWED', 'AUTH_LOCKED_OUT', 'AUTH_MISSING', 'AUTH_REPLAYED',
      'AUTH_SCOPE_MISSING', 'AUTH_TIMESTAMP_OUT_OF_WINDOW', 'AUTH_UNAVAILABLE',
    ]);
    for (const [key, entry] of Object.entries(AUTH_ERROR_CATALOG)) {
      expect(entry.code).toBe(key);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.title.length).toBeGreaterThan(0);
      expect(entry.description.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['AUTH_INVALID', 401],
    ['AUTH_SCOPE_MISSING', 403],
    ['AUTH_IP_NOT_ALLOWED', 403],
    ['AUTH_LOCKED_OUT', 429],
  ] as [AuthErrorCode, number][])('%s becomes an ApiError with status %i', (code, status) => {
    const error = authApiError(code, code === 'AUTH_LOCKED_OUT' ? 20 : undefined);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    if (code === 'AUTH_LOCKED_OUT') {
      expect(error.headers?.['Retry-After']).toBe('20');
      expect(error.extra).toEqual({ retryAfterSeconds: 20 });
    }
    expect(error.headers?.['WWW-Authenticate'] !== undefined).toBe(status === 401);
  });
});

describe('the published error catalog', () => {
  it('carries every auth code with the same status and title', async () => {
    const { ERROR_CATALOG } = await import('../../generated/error-catalog.js');
    const published = ERROR_CATALOG as Record<string, { status: number; title: string } | undefined>;
    for (const entry of Object.values(AUTH_ERROR_CATALOG)) {
      expect(published[entry.code], entry.code).toMatchObject({ status: entry.status, title: entry.title });
    }
    expect(published.RATE_LIMITED?.status).toBe(429);
  });
});
