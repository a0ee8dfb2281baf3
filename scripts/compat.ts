/**
 * The breaking-change gate: compares the working contract with the last released one and fails
 * (exit 1) on any breaking change. Additive changes pass.
 *
 *   npm run compat                       # api-spec/openapi.yaml vs api-spec/released/openapi.json
 *   npm run compat -- --spec other.yaml  # any candidate (tests use this)
 *   npm run compat -- --ws-spec other.yaml  # the same for api-spec/asyncapi.yaml vs api-spec/released/asyncapi.json
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleOpenApi } from './contract/bundle.js';
import { breaking, classifyOpenApi, type Finding } from './contract/classify-openapi.js';
import { classifyAsyncApi } from './contract/classify-asyncapi.js';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function report(title: string, findings: Finding[]): void {
  const bad = breaking(findings);
  const rest = findings.filter((f) => f.severity !== 'breaking' && f.severity !== 'annotation');
  process.stdout.write(`${title}: ${bad.length} breaking, ${rest.length} other change(s)\n`);
  for (const f of bad) process.stdout.write(`  BREAKING ${f.action} ${f.location}${f.rule ? ` [${f.rule}]` : ''}\n`);
  for (const f of rest) process.stdout.write(`  ${f.severity} ${f.action} ${f.location}\n`);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      spec: { type: 'string', default: join(root, 'api-spec/openapi.yaml') },
      base: { type: 'string', default: join(root, 'api-spec/released/openapi.json') },
      'ws-spec': { type: 'string', default: join(root, 'api-spec/asyncapi.yaml') },
      'ws-base': { type: 'string', default: join(root, 'api-spec/released/asyncapi.json') },
    },
  });
  const released = JSON.parse(readFileSync(values.base!, 'utf8')) as object;
  const candidate = bundleOpenApi(values.spec!);
  const findings = classifyOpenApi(released, candidate);
  report('REST contract (OpenAPI)', findings);
  const wsFindings = classifyAsyncApi(JSON.parse(readFileSync(values['ws-base']!, 'utf8')) as object, parse(readFileSync(values['ws-spec']!, 'utf8')) as object);
  report('WebSocket contract (AsyncAPI)', wsFindings);
  if (breaking([...findings, ...wsFindings]).length > 0) {
    process.stdout.write('\nBreaking changes against the released contract. Make the change additive, or open a new major version (see docs/versioning.md).\n');
    // exitCode, not exit(): a long report written to a pipe must be flushed before the process ends.
    process.exitCode = 1;
    return;
  }
  process.stdout.write('Compatible with the released contract.\n');
}

main();
