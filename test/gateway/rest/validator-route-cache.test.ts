import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { memoizeValidatorRouteLookup } from '../../../server/src/gateway/rest/validator-route-cache.js';

type Compile = (path: string, options?: Record<string, unknown>) => { regexp: RegExp; keys: { name: string }[] };

/** The path-to-regexp module instance express-openapi-validator calls at request time. */
function validatorsPathToRegexp(): { pathToRegexp: Compile } {
  const requireHere = createRequire(import.meta.url);
  return createRequire(requireHere.resolve('express-openapi-validator'))('path-to-regexp') as { pathToRegexp: Compile };
}

describe('validator route lookup cache', () => {
  it('compiles each documented path once and keeps matching the same requests', () => {
    const module = validatorsPathToRegexp();
    const original = module.pathToRegexp;
    const fresh = original('/v1/orders/:orderId', { sensitive: false, strict: false });
    memoizeValidatorRouteLookup();
    const installed = module.pathToRegexp;
    memoizeValidatorRouteLookup();
    expect(module.pathToRegexp).toBe(installed); // installing twice does not wrap twice

    const first = module.pathToRegexp('/v1/orders/:orderId', { sensitive: false, strict: false });
    const second = module.pathToRegexp('/v1/orders/:orderId', { sensitive: false, strict: false });
    expect(second).toBe(first);
    expect(first.regexp.source).toBe(fresh.regexp.source);
    expect(first.keys.map((k) => k.name)).toEqual(['orderId']);
    expect(first.regexp.exec('/v1/orders/ord-1')?.[1]).toBe('ord-1');
    // The regexp holds no lastIndex state: repeated matching gives the same answer.
    expect(first.regexp.exec('/v1/orders/ord-2')?.[1]).toBe('ord-2');
    expect(first.regexp.exec('/v1/orders/ord-2')?.[1]).toBe('ord-2');

    // Different options are a different compilation.
    const sensitive = module.pathToRegexp('/v1/orders/:orderId', { sensitive: true, strict: false });
    expect(sensitive).not.toBe(first);
    expect(sensitive.regexp.exec('/V1/orders/x')).toBeNull();
    expect(first.regexp.exec('/V1/orders/x')).not.toBeNull();
  });
});
