/**
 * Releases the working REST contract: after the compatibility gate passes, the bundled document
 * becomes the new baseline (`api-spec/released/openapi.json`) and a copy is kept per version in
 * `api-spec/released/history/`, from which the changelog is generated.
 *
 *   npm run release:contract
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { breaking, classifyOpenApi } from './contract/classify-openapi.js';
import { bundleOpenApi } from './contract/bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const baselineFile = join(root, 'api-spec/released/openapi.json');
const historyDir = join(root, 'api-spec/released/history');

const candidate = bundleOpenApi(join(root, 'api-spec/openapi.yaml')) as { info: { version: string } };
const version = candidate.info.version;
const text = `${JSON.stringify(candidate, null, 2)}\n`;

if (existsSync(baselineFile)) {
  const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as { info: { version: string } };
  const bad = breaking(classifyOpenApi(baseline, candidate));
  if (bad.length > 0) {
    process.stderr.write(`Refusing to release ${version}: ${bad.length} breaking change(s); run npm run compat.\n`);
    process.exit(1);
  }
  if (baseline.info.version === version && JSON.stringify(baseline) !== JSON.stringify(candidate)) {
    process.stderr.write(`Refusing to release: the contract changed but info.version is still ${version}. Bump it.\n`);
    process.exit(1);
  }
}
mkdirSync(historyDir, { recursive: true });
writeFileSync(baselineFile, text);
writeFileSync(join(historyDir, `${version}.json`), text);
// The WebSocket contract is released with it: its bundled form becomes the gate's baseline.
const asyncApi = readFileSync(join(root, 'generated/asyncapi.json'), 'utf8');
writeFileSync(join(root, 'api-spec/released/asyncapi.json'), asyncApi);
process.stdout.write(`Released contract ${version} (REST) with the current WebSocket contract.\n`);
