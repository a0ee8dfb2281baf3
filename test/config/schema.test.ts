/** The one configuration schema: its defaults, its environment variables and the README's table of them. */
import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { environmentTable } from '../../scripts/codegen/config-table.js';
import { loadConfig, validateConfig } from '../../server/src/config/load.js';
import { CONFIG_SCHEMA, DEFAULT_CONFIG, ENV_SETTINGS } from '../../server/src/config/schema.js';

/** Every leaf setting of the schema, with its path. */
function leaves(schema: TSchema, path: string[] = []): { path: string[]; schema: TSchema }[] {
  if (schema.type === 'object' && schema.properties !== undefined) {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, p]) => leaves(p, [...path, key]));
  }
  return [{ path, schema }];
}

const at = (value: unknown, path: string[]): unknown => path.reduce((node, key) => (node as Record<string, unknown>)[key], value);

/** A valid value other than the default, by the setting's JSON type. */
function another(schema: TSchema): unknown {
  if (Array.isArray(schema.enum)) return (schema.enum as string[]).find((v) => v !== schema.default);
  if (schema.type === 'boolean') return !schema.default;
  if (schema.type === 'integer') return schema.default + 1 <= schema.maximum ? schema.default + 1 : schema.default - 1;
  if (schema.type === 'array') return ['https://a.test', 'https://b.test'];
  if (schema.pattern !== undefined) return 'ab'.repeat(32);
  return 'example.test';
}

describe('the configuration schema', () => {
  it('gives every setting a description, and a default unless it is the secrets key', () => {
    for (const { path, schema } of leaves(CONFIG_SCHEMA)) {
      expect(typeof schema.description, path.join('.')).toBe('string');
      if (path.join('.') !== 'secretsKey') expect(schema.default, path.join('.')).toBeDefined();
    }
  });

  it('admits its own defaults', () => {
    expect(validateConfig(structuredClone(DEFAULT_CONFIG))).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG.http.port).toBe(8080);
  });

  it('names each environment variable once, and each sets exactly its own setting', () => {
    const names = ENV_SETTINGS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const setting of ENV_SETTINGS) {
      const value = another(setting.schema);
      const text = Array.isArray(value) ? value.join(',') : String(value);
      const env: Record<string, string> = { [setting.name]: text };
      if (setting.name === 'MODE') env.SECRETS_KEY = 'cd'.repeat(32);
      const config = loadConfig(env);
      expect(at(config, setting.path), setting.name).toEqual(value);
      const expected = structuredClone(DEFAULT_CONFIG) as Record<string, unknown>;
      let node = expected;
      for (const key of setting.path.slice(0, -1)) node = node[key] as Record<string, unknown>;
      node[setting.path.at(-1)!] = value;
      if (setting.name === 'MODE') expected.secretsKey = 'cd'.repeat(32);
      expect(config, setting.name).toEqual(expected);
    }
  });

  it('is what the README lists (regenerate with npm run generate)', () => {
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(environmentTable());
  });
});
