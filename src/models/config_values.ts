// The config keys a family declares (models/config.ts reads them) and the value checks they use.
import { quoteName, showValue } from '../util/escape.js';
import type { ModelConfig } from './family.js';

/** A config key a family reads: its aliases (several present must agree) and how to check its value. */
export interface ConfigKey {
  readonly field: keyof ModelConfig;
  readonly aliases: readonly string[];
  readonly parse: (file: string, key: string, v: unknown) => unknown;
  /** The value goes to out[field][sub] (a record of several keys, such as `dims`). */
  readonly sub?: string;
}

/** A positive finite number. */
export function positiveNumber(file: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${file}: ${quoteName(key)} must be a positive number, got ${showValue(v)}`);
  return v;
}

/** A positive integer. */
export function positiveInteger(file: string, key: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new Error(`${file}: ${quoteName(key)} must be a positive integer, got ${showValue(v)}`);
  return v as number;
}

/** One of `values`. */
export const oneOf = <T extends string>(what: string, values: readonly T[]) => (file: string, _key: string, v: unknown): T => {
  if (!(values as readonly unknown[]).includes(v)) throw new Error(`${file}: unknown ${what} ${showValue(v)} (expected one of ${values.join(', ')})`);
  return v as T;
};
