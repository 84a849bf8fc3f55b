// Model configuration from config.json beside a checkpoint (or an explicit path). Only the keys
// ctlkit uses are read, with their Hugging Face aliases; every other key is ignored.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ARCHITECTURES, type Architecture, type ModelConfig } from '../models/family.js';
import { fsReason } from './fs_errors.js';
import { parseJsonObject } from './json_strict.js';
import { quoteName, showValue } from '../util/escape.js';

/** Largest config.json ctlkit reads (real ones are a few KB). */
export const MAX_CONFIG_BYTES = 16 * 2 ** 20;

const STEMS = ['imagenet', 'cifar'] as const;

/** Reads `configPath`, or config.json in the checkpoint's folder (a missing one gives {}). */
export async function loadModelConfig(checkpointPath: string, configPath?: string): Promise<Partial<ModelConfig>> {
  let file = configPath;
  if (file === undefined) {
    const isDir = await fs.stat(checkpointPath).then((s) => s.isDirectory(), () => false);
    file = path.join(isDir ? checkpointPath : path.dirname(checkpointPath), 'config.json');
  }
  let text: string;
  try {
    const { size } = await fs.stat(file);
    if (size > MAX_CONFIG_BYTES) throw new Error(`${file}: model config is ${size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`);
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && configPath === undefined) return {};
    if (!(e as NodeJS.ErrnoException).code) throw e;
    throw new Error(`${file}: cannot read model config (${fsReason(e)})`);
  }
  return parseConfigText(file, text);
}

/** Parses config.json text: what `loadModelConfig` does after reading the file. */
export function parseConfigText(file: string, text: string): Partial<ModelConfig> {
  return parseModelConfig(file, parseJsonObject(file, text, 'model config'));
}

/** Picks ctlkit's keys out of a parsed config object; `file` names it in errors. */
export function parseModelConfig(file: string, raw: Record<string, unknown>): Partial<ModelConfig> {
  const out: Partial<ModelConfig> = {};
  if (raw.architecture !== undefined) {
    const a = raw.architecture;
    if (typeof a !== 'string' || !(ARCHITECTURES as readonly string[]).includes(a)) {
      throw new Error(`${file}: unknown architecture ${showValue(a)} (expected one of ${ARCHITECTURES.join(', ')})`);
    }
    out.architecture = a as Architecture;
  }
  const heads = aliased(file, raw, ['num_heads', 'n_head', 'num_attention_heads']);
  if (heads !== undefined) {
    if (!Number.isSafeInteger(heads.value) || (heads.value as number) < 1) {
      throw new Error(`${file}: ${quoteName(heads.key)} must be a positive integer, got ${showValue(heads.value)}`);
    }
    out.numHeads = heads.value as number;
  }
  const eps = aliased(file, raw, ['layer_norm_eps', 'layer_norm_epsilon']);
  if (eps !== undefined) out.layerNormEps = positive(file, eps.key, eps.value);
  if (raw.batch_norm_eps !== undefined) out.batchNormEps = positive(file, 'batch_norm_eps', raw.batch_norm_eps);
  if (raw.stem !== undefined) {
    if (!(STEMS as readonly unknown[]).includes(raw.stem)) {
      throw new Error(`${file}: unknown stem ${showValue(raw.stem)} (expected one of ${STEMS.join(', ')})`);
    }
    out.stem = raw.stem as (typeof STEMS)[number];
  }
  return out;
}

/** The value of whichever alias is present; several present must agree. */
function aliased(file: string, raw: Record<string, unknown>, keys: string[]): { key: string; value: unknown } | undefined {
  const present = keys.filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (present.length === 0) return undefined;
  const first = { key: present[0], value: raw[present[0]] };
  for (const k of present.slice(1)) {
    if (raw[k] !== first.value) throw new Error(`${file}: ${quoteName(first.key)} = ${showValue(first.value)} and ${quoteName(k)} = ${showValue(raw[k])} disagree`);
  }
  return first;
}

function positive(file: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${file}: ${quoteName(key)} must be a positive number, got ${showValue(v)}`);
  return v;
}
