/**
 * Loads the configuration: defaults, then an optional file (`CONFIG_FILE`, JSON or YAML), then
 * environment variables, then validates the result. A bad configuration stops start-up with a
 * message that names the offending setting.
 */
import { readFileSync } from 'node:fs';
import AjvModule from 'ajv';
import { parse as parseYaml } from 'yaml';
import { CONFIG_SCHEMA, DEFAULT_CONFIG, ENV_SETTINGS, type Config, type EnvSetting } from './schema.js';

const Ajv = AjvModule.default ?? AjvModule;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const merged = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  if (env.CONFIG_FILE) deepMerge(merged, readConfigFile(env.CONFIG_FILE));
  for (const setting of ENV_SETTINGS) {
    const raw = env[setting.name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, setting.path, parseEnvValue(setting, raw));
  }
  return validateConfig(merged);
}

/** The schema's own annotations, beside JSON Schema's keywords. */
const ajv = new Ajv({ allErrors: true, strict: true, keywords: ['env'] });
const validate = ajv.compile<Config>(CONFIG_SCHEMA);

export function validateConfig(candidate: unknown): Config {
  if (!validate(candidate)) {
    const problems = (validate.errors ?? []).map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const config = candidate as Config;
  if (config.mode === 'production' && config.secretsKey === undefined) {
    throw new ConfigError('Invalid configuration:\n  /secretsKey is required in production (SECRETS_KEY: 64 hex digits or base64 of 32 bytes)');
  }
  if (config.http.workers > 0 && config.http.workersPort !== 0 && config.http.workersPort === config.http.port) {
    throw new ConfigError('Invalid configuration:\n  /http/workersPort must differ from /http/port (REST_WORKERS_PORT and PORT are two listeners)');
  }
  if (config.rfq.defaultTtlMs > config.rfq.maxTtlMs) {
    // Otherwise every request for quote that names no TTL would be refused as asking too much.
    throw new ConfigError(`Invalid configuration:\n  /rfq/defaultTtlMs (${config.rfq.defaultTtlMs}) must not exceed /rfq/maxTtlMs (${config.rfq.maxTtlMs})`);
  }
  const assets = new Set(config.assets.map((a) => a.asset));
  for (const i of config.instruments) {
    if (!assets.has(i.base) || !assets.has(i.quote)) {
      throw new ConfigError(`Invalid configuration:\n  /instruments ${i.symbol} uses an asset that is not in /assets`);
    }
  }
  return config;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read CONFIG_FILE ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`Cannot parse CONFIG_FILE ${file}: ${(err as Error).message}`);
  }
}

/** An environment variable's text as its setting's JSON type: the schema tells which. */
function parseEnvValue({ name, schema }: EnvSetting, raw: string): unknown {
  if (schema.type === 'boolean') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new ConfigError(`Invalid configuration:\n  ${name} must be true or false, got "${raw}"`);
  }
  if (schema.type === 'array') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (schema.type !== 'integer') return raw;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`Invalid configuration:\n  ${name} must be an integer, got "${raw}"`);
  return Number(raw);
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}

/** Objects merge key by key; arrays and scalars from the file replace the defaults. */
function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) deepMerge(existing, value);
    else target[key] = value;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
