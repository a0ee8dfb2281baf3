/**
 * Redoc's standalone bundle reaches its vendor twice even with telemetry "disabled" on the
 * command line: the sidebar logo is an <img> from cdn.redoc.ly (blank under our CSP), and the
 * client telemetry posts to otel.cloud.redocly.com. The docs must work offline and tell no one
 * what a reader looks at, so both are cut out of the built page. Each cut must find its target:
 * a Redoc upgrade that moves them fails the build instead of quietly calling home again.
 */

interface Cut { what: string; pattern: RegExp; replacement: string }

const CUTS: readonly Cut[] = [
  // The logo component renders `(0,X.jsx)(\`img\`,{alt:\`redocly logo\`,…src:…cdn.redoc.ly…})`: render nothing instead.
  { what: 'the Redocly logo image', pattern: /\(0,\w+\.jsx\)\(`img`,\{alt:`redocly logo`,onError:[^}]*?cdn\.redoc\.ly[^}]*\}\)/g, replacement: 'null' },
  // Telemetry is on unless its options say `disabled`; make it always disabled...
  { what: 'the client telemetry switch', pattern: /disabled:(\w+)\.disabled\?\?!1/g, replacement: 'disabled:!0' },
  // ...and leave it nowhere to send to.
  { what: 'the telemetry collector URL', pattern: /`https:\/\/otel\.cloud\.redocly\.com\/v1\/traces`/g, replacement: '``' },
];

/** Hosts a built reference must not mention as a resource to load. */
export const VENDOR_RESOURCE_HOSTS = ['cdn.redoc.ly', 'otel.cloud.redocly.com'] as const;

export function stripVendorCalls(html: string): string {
  let out = html;
  for (const cut of CUTS) {
    const before = out;
    out = out.replace(cut.pattern, cut.replacement);
    if (out === before) throw new Error(`redoc-offline: ${cut.what} was not found in the built reference; Redoc changed, update scripts/codegen/redoc-offline.ts`);
  }
  for (const host of VENDOR_RESOURCE_HOSTS) {
    if (out.includes(host)) throw new Error(`redoc-offline: the built reference still mentions ${host}`);
  }
  return out;
}
