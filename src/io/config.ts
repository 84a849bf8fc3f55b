// Model configuration from config.json beside a checkpoint (or an explicit path). Only the keys
// ctlkit uses are read, with their Hugging Face aliases; every other key is ignored.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ARCHITECTURES, type Architecture, type ModelConfig } from '../models/family.js';
import { fsReason } from './fs_errors.js';
import { parseJsonObject } from './json_strict.js';

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
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && configPath === undefined) return {};
    throw new Error(`${file}: cannot read model config (${fsReason(e)})`);
  }
  return parseModelConfig(file, parseJsonObject(file, text, 'model config'));
}

const HIDDEN_ACT: Record<string, NonNullable<ModelConfig['hiddenAct']>> = {
  quick_gelu: 'quick_gelu', gelu: 'gelu', gelu_new: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh',
};
const DIM_KEYS = ['hidden_size', 'num_hidden_layers', 'intermediate_size', 'patch_size', 'image_size', 'projection_dim'] as const;

/** Picks ctlkit's keys out of a parsed config object; `file` names it in errors. A CLIPModel
 *  config's `vision_config` is read for the vision tower (its own keys win). */
export function parseModelConfig(file: string, top: Record<string, unknown>): Partial<ModelConfig> {
  const vision = top.vision_config;
  const raw: Record<string, unknown> =
    vision !== null && typeof vision === 'object' && !Array.isArray(vision)
      ? { architecture: top.architecture, projection_dim: top.projection_dim, ...(vision as Record<string, unknown>) }
      : top;
  const out: Partial<ModelConfig> = {};
  if (raw.hidden_act !== undefined) {
    const act = typeof raw.hidden_act === 'string' ? HIDDEN_ACT[raw.hidden_act] : undefined;
    if (!act) throw new Error(`${file}: unsupported "hidden_act" ${JSON.stringify(raw.hidden_act)} (expected one of ${Object.keys(HIDDEN_ACT).join(', ')})`);
    out.hiddenAct = act;
  }
  for (const key of DIM_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw new Error(`${file}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    (out.dims ??= {})[key] = v as number;
  }
  if (raw.architecture !== undefined) {
    // timm's hub config.json names the model (`vit_base_patch16_224`): a ViT
    const a = typeof raw.architecture === 'string' && raw.architecture.startsWith('vit_') ? 'vit' : raw.architecture;
    if (typeof a !== 'string' || !(ARCHITECTURES as readonly string[]).includes(a)) {
      throw new Error(`${file}: unknown architecture ${JSON.stringify(a)} (expected one of ${ARCHITECTURES.join(', ')})`);
    }
    out.architecture = a as Architecture;
  }
  const heads = aliased(file, raw, ['num_heads', 'n_head', 'num_attention_heads']);
  if (heads !== undefined) {
    if (!Number.isSafeInteger(heads.value) || (heads.value as number) < 1) {
      throw new Error(`${file}: "${heads.key}" must be a positive integer, got ${JSON.stringify(heads.value)}`);
    }
    out.numHeads = heads.value as number;
  }
  const eps = aliased(file, raw, ['layer_norm_eps', 'layer_norm_epsilon']);
  if (eps !== undefined) out.layerNormEps = positive(file, eps.key, eps.value);
  if (raw.batch_norm_eps !== undefined) out.batchNormEps = positive(file, 'batch_norm_eps', raw.batch_norm_eps);
  if (raw.stem !== undefined) {
    if (!(STEMS as readonly unknown[]).includes(raw.stem)) {
      throw new Error(`${file}: unknown stem ${JSON.stringify(raw.stem)} (expected one of ${STEMS.join(', ')})`);
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
    if (raw[k] !== first.value) throw new Error(`${file}: "${first.key}" = ${JSON.stringify(first.value)} and "${k}" = ${JSON.stringify(raw[k])} disagree`);
  }
  return first;
}

function positive(file: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${file}: "${key}" must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}
