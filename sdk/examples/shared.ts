/**
 * What every example needs: where the server is, which key to use, how long to run, and exact
 * decimal arithmetic for prices (scaled BigInt, never floating point).
 *
 *   BASE_URL      default http://127.0.0.1:8080
 *   API_KEY, API_SECRET   an HMAC key; otherwise DATA_DIR/demo-credentials.json (DATA_DIR default ./data)
 *   SYMBOL        default BTC-USD
 *   DURATION_MS or --duration-ms=N   how long streaming examples run (default 10000)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HmacCredentials } from '../src/index.js';

export const baseUrl = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
export const symbol = process.env.SYMBOL ?? 'BTC-USD';

export function loadCredentials(): HmacCredentials {
  if (process.env.API_KEY && process.env.API_SECRET) return { keyId: process.env.API_KEY, secret: process.env.API_SECRET };
  const file = join(process.env.DATA_DIR ?? './data', 'demo-credentials.json');
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { keyId: string; secret: string };
    return { keyId: saved.keyId, secret: saved.secret };
  } catch (err) {
    throw new Error(`No credentials: set API_KEY and API_SECRET, or DATA_DIR to a demo server's data directory (${file}: ${(err as Error).message})`);
  }
}

/** A numeric command-line flag `--name=value`, else the environment variable, else the default. */
export function numberOption(flag: string, envName: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${flag}=`));
  const raw = arg ? arg.slice(flag.length + 3) : process.env[envName];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${flag} / ${envName} must be a non-negative number, got ${raw}`);
  return value;
}

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export const durationMs = () => numberOption('duration-ms', 'DURATION_MS', 10_000);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Exact decimal arithmetic on prices at a fixed scale. */
export class Decimals {
  constructor(readonly scale: number) {}

  static scaleOf(decimal: string): number {
    const dot = decimal.indexOf('.');
    return dot < 0 ? 0 : decimal.length - dot - 1;
  }

  units(decimal: string): bigint {
    const [whole, frac = ''] = decimal.split('.');
    if (frac.length > this.scale && /[1-9]/.test(frac.slice(this.scale))) throw new Error(`${decimal} has more than ${this.scale} decimals`);
    return BigInt(whole!) * 10n ** BigInt(this.scale) + BigInt((frac + '0'.repeat(this.scale)).slice(0, this.scale) || '0');
  }

  format(units: bigint): string {
    const digits = units.toString().padStart(this.scale + 1, '0');
    return this.scale === 0 ? digits : `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
  }
}

/** Ends the process with a message when the example fails. */
export function run(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

export interface InstrumentRules {
  symbol: string;
  tickSize: string;
  lotSize: string;
  minQuantity: string;
  minNotional: string;
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/** The smallest quantity the instrument accepts at `price`: at least minQuantity, price × quantity at least minNotional, a whole number of lots. */
export function minimumQuantity(rules: InstrumentRules, price: string): string {
  const scale = Math.max(Decimals.scaleOf(price), Decimals.scaleOf(rules.minNotional));
  const at = new Decimals(scale);
  const lots = new Decimals(Decimals.scaleOf(rules.lotSize));
  const lot = lots.units(rules.lotSize);
  const forNotional = ceilDiv(at.units(rules.minNotional) * 10n ** BigInt(lots.scale), at.units(price));
  const min = lots.units(rules.minQuantity);
  const units = forNotional > min ? forNotional : min;
  return lots.format(ceilDiv(units, lot) * lot);
}

/** `price` moved by `ticks` ticks (negative: down), on the instrument's tick grid. */
export function offsetTicks(rules: InstrumentRules, price: string, ticks: number): string {
  const d = new Decimals(Math.max(Decimals.scaleOf(rules.tickSize), Decimals.scaleOf(price)));
  const tick = d.units(rules.tickSize);
  const onGrid = (d.units(price) / tick) * tick;
  const moved = onGrid + BigInt(ticks) * tick;
  if (moved <= 0n) throw new Error(`${price} moved ${ticks} ticks is not a positive price`);
  return d.format(moved);
}

/** A price `percent` below `price`, rounded down onto the tick grid. */
export function percentBelow(rules: InstrumentRules, price: string, percent: number): string {
  const d = new Decimals(Math.max(Decimals.scaleOf(rules.tickSize), Decimals.scaleOf(price)));
  const tick = d.units(rules.tickSize);
  const lowered = (d.units(price) * BigInt(100 - percent)) / 100n;
  return d.format((lowered / tick) * tick);
}
