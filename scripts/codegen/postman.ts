/**
 * A Postman collection (v2.1) of the REST contract, written from the example flow: one request
 * per step, in the flow's order, so "Run collection" (or newman) walks a fresh demo market from
 * the server clock to the operator's tasks. A collection-level pre-request script signs every
 * private request as docs/authentication.md describes; each request's test script checks the
 * documented success status and keeps the ids later requests use (ORDER_ID, QUOTE_ID, KEY_ID,
 * and the demo account's API_KEY and API_SECRET) in collection variables.
 *
 * Served at /postman.json, with BASE_URL set to the server that answered.
 */
import { CREDENTIAL_VARIABLES, EXAMPLE_FLOW, exampleRequests, findOperation, type ExampleRequest } from './example-flow.js';

export const POSTMAN_SCHEMA = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';

/** The collection variables a user fills in; the flow's own variables are added after them. */
export const POSTMAN_INPUTS = [
  { key: 'BASE_URL', description: 'Where the API is served.' },
  { key: 'API_KEY', description: 'Your key id. Left empty, the "Create a demo account" request fills it in.' },
  { key: 'API_SECRET', description: 'Your HMAC secret. Left empty, the "Create a demo account" request fills it in.' },
  { key: 'OPERATOR_KEY', description: "An operator key id, for the Operator requests (the demo prints it at start-up)." },
  { key: 'OPERATOR_SECRET', description: "The operator key's secret." },
] as const;

/**
 * Runs before every request. Signed requests carry `X-API-Key: {{API_KEY}}` (or
 * `{{OPERATOR_KEY}}`); the script resolves it and adds X-API-Timestamp and X-API-Signature over
 * timestamp, method, path with query, and the SHA-256 of the raw body.
 */
const SIGNING_SCRIPT = String.raw`// Signs private requests (docs/authentication.md): HMAC-SHA256 over the canonical string.
// A function scope of its own: the collection's scripts share one sandbox.
(function sign() {
  const cryptoJs = require('crypto-js');
  const keyHeader = pm.request.headers.get('X-API-Key');
  if (!keyHeader) return;
  const operator = keyHeader.includes('OPERATOR_KEY');
  const keyId = pm.variables.replaceIn(keyHeader);
  const secret = pm.variables.get(operator ? 'OPERATOR_SECRET' : 'API_SECRET');
  if (!keyId || !secret) throw new Error(operator ? 'set OPERATOR_KEY and OPERATOR_SECRET' : 'set API_KEY and API_SECRET, or run "Create a demo account" first');
  const baseUrl = pm.variables.replaceIn('{{BASE_URL}}').replace(/\/+$/, '');
  const pathWithQuery = pm.variables.replaceIn(pm.request.url.toString()).slice(baseUrl.length);
  const body = pm.request.body && pm.request.body.mode === 'raw' ? pm.variables.replaceIn(pm.request.body.raw) : '';
  const timestamp = String(Date.now());
  const canonical = [timestamp, pm.request.method, pathWithQuery, cryptoJs.SHA256(body).toString(cryptoJs.enc.Hex)].join('\n');
  // The secret is base64url without padding; crypto-js reads standard base64.
  let b64 = secret.replace(/-/g, '+').replace(/_/g, '/');
  while (b64.length % 4) b64 += '=';
  const signature = cryptoJs.HmacSHA256(canonical, cryptoJs.enc.Base64.parse(b64)).toString(cryptoJs.enc.Base64);
  pm.request.headers.upsert({ key: 'X-API-Key', value: keyId });
  pm.request.headers.upsert({ key: 'X-API-Timestamp', value: timestamp });
  pm.request.headers.upsert({ key: 'X-API-Signature', value: signature });
})();`;

function testScript(r: ExampleRequest): string[] {
  const lines = [`pm.test('answers ${r.status}', () => pm.response.to.have.status(${r.status}));`];
  const captures = Object.entries(r.step.capture ?? {});
  if (captures.length) {
    lines.push('const body = pm.response.json();');
    for (const [variable, pointer] of captures) {
      const path = pointer.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
      lines.push(`pm.collectionVariables.set('${variable}', String(body${path}));`);
    }
  }
  return lines;
}

function urlOf(r: ExampleRequest): Record<string, unknown> {
  let path = r.pathTemplate;
  for (const p of r.pathParams) path = path.replace(`{${p.name}}`, 'variable' in p.value ? `{{${p.value.variable}}}` : encodeURIComponent(p.value.literal));
  const query = r.query.map((q) => ({ key: q.name, value: encodeURIComponent(String(q.value)) }));
  const raw = `{{BASE_URL}}${path}${query.length ? `?${query.map((q) => `${q.key}=${q.value}`).join('&')}` : ''}`;
  return { raw, host: ['{{BASE_URL}}'], path: path.split('/').filter(Boolean), ...(query.length && { query }) };
}

function itemOf(spec: Record<string, any>, r: ExampleRequest): Record<string, unknown> {
  const { operation } = findOperation(spec, r.operationId);
  const header = [
    ...(r.auth === 'none' ? [] : [{ key: 'X-API-Key', value: r.auth === 'operator' ? '{{OPERATOR_KEY}}' : `{{${CREDENTIAL_VARIABLES.keyId}}}` }]),
    ...r.headers.map((h) => ({ key: h.name, value: h.value })),
    ...(r.body === undefined ? [] : [{ key: 'Content-Type', value: 'application/json' }]),
  ];
  return {
    name: `${operation.summary}${r.step.example ? ` (${r.step.example})` : ''}`,
    request: {
      method: r.method,
      header,
      url: urlOf(r),
      ...(r.body !== undefined && { body: { mode: 'raw', raw: JSON.stringify(r.body, null, 2), options: { raw: { language: 'json' } } } }),
      description: `\`${r.operationId}\`. ${String(operation.description ?? '').trim()}`,
    },
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: testScript(r) } }],
  };
}

export function postmanCollection(spec: Record<string, any>): Record<string, unknown> {
  const requests = exampleRequests(spec, EXAMPLE_FLOW);
  const flowVariables = [...new Set(requests.flatMap((r) => Object.keys(r.step.capture ?? {})))].filter((v) => !POSTMAN_INPUTS.some((i) => i.key === v));
  return {
    info: {
      name: spec.info.title,
      version: spec.info.version,
      description: `${spec.info.summary} Generated from the contract (openapi.json) by \`npm run generate\`.\n\n`
        + 'The requests follow the example flow: run the collection in order on a demo market and each request uses what the earlier ones returned. '
        + 'Private requests are signed by the collection\'s pre-request script with API_KEY and API_SECRET, which "Create a demo account" fills in; '
        + 'the Operator requests need OPERATOR_KEY and OPERATOR_SECRET.',
      schema: POSTMAN_SCHEMA,
    },
    variable: [
      ...POSTMAN_INPUTS.map((v) => ({ key: v.key, value: v.key === 'BASE_URL' ? spec.servers?.[0]?.url ?? '' : '', description: v.description })),
      ...flowVariables.map((key) => ({ key, value: '', description: 'Set by an earlier request of the collection.' })),
    ],
    event: [{ listen: 'prerequest', script: { type: 'text/javascript', exec: SIGNING_SCRIPT.split('\n') } }],
    item: requests.map((r) => itemOf(spec, r)),
  };
}
