import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../server/src/errors/api-error.js';
import type { HandlerMap } from '../../../server/src/gateway/rest/operations.js';
import { deprecationHeaders, listOperations, operationRouter } from '../../../server/src/gateway/rest/routes.js';

const spec = {
  paths: {
    '/v1/old': {
      get: { operationId: 'getOld', deprecated: true, 'x-deprecated-at': '2026-01-01T00:00:00Z', 'x-sunset': '2026-12-31T23:59:59Z', 'x-deprecation-link': '/docs/guides/changelog#120' },
      post: { operationId: 'postOld', deprecated: true, 'x-deprecated-at': '2026-01-01T00:00:00Z' },
    },
    '/v1/new': { get: { operationId: 'getNew' } },
  },
};

describe('deprecation headers', () => {
  it('formats Deprecation (RFC 9745), Sunset (RFC 8594) and Link (RFC 8288)', () => {
    expect(deprecationHeaders(spec.paths['/v1/old'].get)).toEqual({
      Deprecation: '@1767225600',
      Sunset: 'Thu, 31 Dec 2026 23:59:59 GMT',
      Link: '</docs/guides/changelog#120>; rel="deprecation"; type="text/html", </docs/guides/changelog#120>; rel="sunset"; type="text/html"',
    });
    expect(deprecationHeaders(spec.paths['/v1/old'].post)).toEqual({ Deprecation: '@1767225600' });
    expect(deprecationHeaders(spec.paths['/v1/new'].get)).toBeUndefined();
  });

  it('refuses a deprecation without a date, or a sunset before it', () => {
    expect(() => deprecationHeaders({ operationId: 'x', deprecated: true })).toThrow(/x-deprecated-at/);
    expect(() => deprecationHeaders({ operationId: 'x', deprecated: true, 'x-deprecated-at': '2026-06-01', 'x-sunset': '2026-01-01' })).toThrow(/x-sunset/);
  });

  it('sends them on every response of a deprecated operation, errors included, and never elsewhere', async () => {
    const handlers = {
      getOld: () => ({ status: 200, body: { ok: true } }),
      postOld: () => {
        throw new ApiError({ status: 400, code: 'VALIDATION_FAILED', detail: 'no' });
      },
      getNew: () => ({ status: 200, body: { ok: true } }),
    } as unknown as HandlerMap;
    const app = express();
    app.use(operationRouter(listOperations(spec), handlers, () => []));
    app.use(((err: ApiError, _req, res, _next) => res.status(err.status).json({ code: err.code })) as express.ErrorRequestHandler);
    const old = await request(app).get('/v1/old').expect(200);
    expect(old.headers.deprecation).toBe('@1767225600');
    expect(old.headers.sunset).toBe('Thu, 31 Dec 2026 23:59:59 GMT');
    const failed = await request(app).post('/v1/old').expect(400);
    expect(failed.headers.deprecation).toBe('@1767225600');
    const fresh = await request(app).get('/v1/new').expect(200);
    expect(fresh.headers.deprecation).toBeUndefined();
    expect(fresh.headers.sunset).toBeUndefined();
  });
});
