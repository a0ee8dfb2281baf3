/**
 * Code samples for the REST reference (`x-codeSamples`, which Redoc shows beside each operation):
 * curl, the TypeScript SDK and the Python SDK, all written from one description of the request,
 * the operation's step of the example flow. Each sample is a whole program: it reads the server
 * and the key from BASE_URL, API_KEY and API_SECRET, and ids from earlier calls from variables
 * named in the flow (ORDER_ID, QUOTE_ID, KEY_ID); it prints the response body as JSON and fails
 * on any refused request. test/contract/code-samples.test.ts runs every one against a demo market.
 */
import { EXAMPLE_FLOW, exampleRequest, operations, type ExampleRequest, type Value } from './example-flow.js';

export type SampleLanguage = 'curl' | 'typescript' | 'python';

export interface CodeSample { lang: string; label: string; source: string }

/** Redoc's `lang` (for highlighting) and the tab label of each language. */
export const SAMPLE_LANGUAGES: Record<SampleLanguage, { lang: string; label: string }> = {
  curl: { lang: 'Shell', label: 'curl' },
  typescript: { lang: 'TypeScript', label: 'TypeScript SDK' },
  python: { lang: 'Python', label: 'Python SDK' },
};

export function codeSample(request: ExampleRequest, language: SampleLanguage): string {
  switch (language) {
    case 'curl':
      return curlSample(request);
    case 'typescript':
      return typescriptSample(request);
    case 'python':
      return pythonSample(request);
  }
}

/** Adds x-codeSamples to every operation of the bundled contract, from its first step in the example flow. */
export function addCodeSamples(spec: Record<string, any>): void {
  for (const { operationId, operation } of operations(spec)) {
    const step = EXAMPLE_FLOW.find((s) => s.operationId === operationId);
    if (!step) throw new Error(`no code samples for ${operationId}: add it to the example flow (scripts/codegen/example-flow.ts)`);
    const request = exampleRequest(spec, step);
    operation['x-codeSamples'] = (Object.keys(SAMPLE_LANGUAGES) as SampleLanguage[]).map((language) => ({
      ...SAMPLE_LANGUAGES[language],
      source: codeSample(request, language),
    }));
  }
}

// ------------------------------------------------------------------ curl

/** The path and query in double quotes, so `$ORDER_ID` expands (literal values hold no shell characters). */
function shellPath(r: ExampleRequest): { quoted: string } {
  let path = r.pathTemplate;
  for (const p of r.pathParams) {
    path = path.replace(`{${p.name}}`, 'variable' in p.value ? `$${p.value.variable}` : encodeURIComponent(p.value.literal));
  }
  const query = r.query.map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(String(q.value))}`).join('&');
  const text = query ? `${path}?${query}` : path;
  if (/["$`\\]/.test(text.replace(/\$[A-Z_]+/g, ''))) throw new Error(`${r.operationId}: the example path ${text} needs shell quoting`);
  return { quoted: `"${text}"` };
}

function curlSample(r: ExampleRequest): string {
  const path = shellPath(r);
  const headers = r.headers.map((h) => ` \\\n  -H '${h.name}: ${h.value}'`).join('');
  const body = r.body === undefined ? undefined : JSON.stringify(r.body);
  if (body?.includes("'")) throw new Error(`${r.operationId}: the example body holds a single quote, which the curl sample cannot quote`);
  const method = r.method === 'GET' ? '' : ` -X ${r.method}`;
  if (r.auth === 'none') {
    const data = body === undefined ? '' : ` \\\n  -H 'Content-Type: application/json' --data-binary '${body}'`;
    return `curl -sS --fail-with-body${method} "$BASE_URL${path.quoted.slice(1)}${headers}${data}\n`;
  }
  const lines = [
    r.auth === 'operator' ? '# API_KEY and API_SECRET: an operator key (scope operator).' : '# API_KEY and API_SECRET: your key (docs/authentication.md explains the signature).',
    `path=${path.quoted}`,
    `body='${body ?? ''}'`,
    `secret=$(printf '%s' "$API_SECRET" | tr '_-' '/+'); while [ $(( \${#secret} % 4 )) -ne 0 ]; do secret="$secret="; done`,
    `key_hex=$(printf '%s' "$secret" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \\n')`,
    'ts=$(date +%s%3N)',
    `body_hash=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)`,
    `signature=$(printf '%s\\n%s\\n%s\\n%s' "$ts" ${r.method} "$path" "$body_hash" \\`,
    `  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | openssl base64 -A)`,
    `curl -sS --fail-with-body${method} "$BASE_URL$path" \\`,
    `  -H "X-API-Key: $API_KEY" -H "X-API-Timestamp: $ts" -H "X-API-Signature: $signature"${headers}${body === undefined ? '' : ` \\\n  -H 'Content-Type: application/json' --data-binary "$body"`}`,
  ];
  return `${lines.join('\n')}\n`;
}

// ------------------------------------------------------------------ TypeScript

function tsValue(value: Value): string {
  return 'literal' in value ? `'${value.literal}'` : `process.env.${value.variable}!`;
}

function tsLiteral(value: unknown, indent: string): string {
  if (Array.isArray(value)) return `[${value.map((v) => tsLiteral(v, indent)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: ${tsLiteral(v, indent)}`);
    return `{ ${entries.join(', ')} }`;
  }
  return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(value);
}

function typescriptSample(r: ExampleRequest): string {
  const params: string[] = [];
  if (r.pathParams.length) params.push(`path: { ${r.pathParams.map((p) => `${p.name}: ${tsValue(p.value)}`).join(', ')} }`);
  if (r.query.length) params.push(`query: ${tsLiteral(Object.fromEntries(r.query.map((q) => [q.name, q.value])), '')}`);
  if (r.headers.length) params.push(`header: ${tsLiteral(Object.fromEntries(r.headers.map((h) => [h.name, h.value])), '')}`);
  const options: string[] = [];
  if (params.length) options.push(`  params: { ${params.join(', ')} },`);
  if (r.body !== undefined) options.push(`  body: ${tsLiteral(r.body, '  ')},`);
  const clientOptions = r.auth === 'none'
    ? '{ baseUrl: process.env.BASE_URL }'
    : `{\n  baseUrl: process.env.BASE_URL,\n  credentials: { keyId: process.env.API_KEY!, secret: process.env.API_SECRET! },${r.auth === 'operator' ? ' // an operator key' : ''}\n}`;
  const call = options.length ? `client.raw.${r.method}('${r.pathTemplate}', {\n${options.join('\n')}\n})` : `client.raw.${r.method}('${r.pathTemplate}')`;
  return `import { RestClient } from '@trading-api/sdk';

const client = new RestClient(${clientOptions});
const { data, error, response } = await ${call};
if (error) throw new Error(\`\${response.status} \${JSON.stringify(error)}\`);
console.log(JSON.stringify(data));
`;
}

// ------------------------------------------------------------------ Python

function pyLiteral(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value as object).map(([k, v]) => `${JSON.stringify(k)}: ${pyLiteral(v)}`).join(', ')}}`;
  return JSON.stringify(value);
}

function pythonSample(r: ExampleRequest): string {
  let path = r.pathTemplate;
  let formatted = false;
  for (const p of r.pathParams) {
    formatted ||= 'variable' in p.value;
    path = path.replace(`{${p.name}}`, 'variable' in p.value ? `{os.environ['${p.value.variable}']}` : encodeURIComponent(p.value.literal));
  }
  const args = [`"${r.method}"`, `${formatted ? 'f' : ''}"${path}"`];
  if (r.query.length) args.push(`query=${pyLiteral(Object.fromEntries(r.query.map((q) => [q.name, q.value])))}`);
  if (r.body !== undefined) args.push(`body=${pyLiteral(r.body)}`);
  if (r.headers.length) args.push(`headers=${pyLiteral(Object.fromEntries(r.headers.map((h) => [h.name, h.value])))}`);
  if (r.auth !== 'none') args.push('signed=True');
  const client = r.auth === 'none'
    ? 'client = RestClient(os.environ["BASE_URL"])'
    : `client = RestClient(os.environ["BASE_URL"], HmacSigner(os.environ["API_KEY"], os.environ["API_SECRET"]))${r.auth === 'operator' ? '  # an operator key' : ''}`;
  return `import json
import os

from trading_api import ${r.auth === 'none' ? '' : 'HmacSigner, '}RestClient

${client}
print(json.dumps(client.request(${args.join(', ')})))
`;
}
