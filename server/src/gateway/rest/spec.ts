/** Locates and loads the bundled contract that `npm run generate` writes into generated/. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GENERATED_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../generated');

export function generatedPath(file: string): string {
  return join(GENERATED_DIR, file);
}

export interface BundledSpec { paths: Record<string, Record<string, unknown>>; security?: unknown[]; [key: string]: unknown }

/** A fresh copy each call: express-openapi-validator annotates the object it is given. */
export function loadBundledSpec(): BundledSpec {
  return JSON.parse(readFileSync(generatedPath('openapi.json'), 'utf8')) as BundledSpec;
}
