/**
 * express-openapi-validator (5.6) finds a request's operation by compiling every documented path
 * with path-to-regexp again on each request, until one matches: about a tenth of the CPU time of a
 * signed order. The paths never change, so this memoizes the compiler on the very module instance
 * the validator calls through (it reads `pathToRegexp` off the module's exports at each call).
 * The compiled RegExp has no `g` or `y` flag, so sharing it between requests keeps no state.
 * If a later validator version stops calling it this way, the cache simply goes unused. The fix
 * we offer upstream, after which this file can go: docs/upstream/express-openapi-validator-route-lookup.md.
 */
import { createRequire } from 'node:module';

type PathToRegexp = (path: string, options?: { sensitive?: boolean; strict?: boolean; end?: boolean; trailing?: boolean }) => { regexp: RegExp; keys: { name: string }[] };

const MEMOIZED = Symbol.for('trading-api.memoized-path-to-regexp');

/** Installs the cache, once per process. */
export function memoizeValidatorRouteLookup(): void {
  const requireHere = createRequire(import.meta.url);
  const requireFromValidator = createRequire(requireHere.resolve('express-openapi-validator'));
  const module = requireFromValidator('path-to-regexp') as { pathToRegexp: PathToRegexp & { [MEMOIZED]?: true } };
  if (module.pathToRegexp[MEMOIZED]) return;
  const compile = module.pathToRegexp;
  // One cache per (sensitive, strict) pair, keyed by the path itself: the validator asks once per
  // documented path on every request, so the lookup must not build a key or an array each time.
  const caches = [new Map<string, ReturnType<PathToRegexp>>(), new Map<string, ReturnType<PathToRegexp>>(), new Map<string, ReturnType<PathToRegexp>>(), new Map<string, ReturnType<PathToRegexp>>()];
  const memoized: PathToRegexp & { [MEMOIZED]?: true } = (path, options = {}) => {
    // Only plain string paths with the options the validator passes are cached; anything else compiles as before.
    if (typeof path !== 'string' || !onlySensitiveAndStrict(options)) return compile(path, options);
    const cache = caches[(options.sensitive ? 2 : 0) + (options.strict ? 1 : 0)]!;
    let compiled = cache.get(path);
    if (!compiled) cache.set(path, (compiled = compile(path, options)));
    return compiled;
  };
  memoized[MEMOIZED] = true;
  module.pathToRegexp = memoized;
}

function onlySensitiveAndStrict(options: object): boolean {
  for (const key in options) if (key !== 'sensitive' && key !== 'strict') return false;
  return true;
}
