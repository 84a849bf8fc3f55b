// Model configuration: the config.json keys each family declares (with their Hugging Face aliases),
// picked out of the parsed object; every other key is ignored.
import { readConfigJson } from '../io/config.js';
import { parseJsonObject } from '../io/json_strict.js';
import { quoteName, showValue } from '../util/escape.js';
import type { ConfigKey } from './config_values.js';
import { DECODER_TYPES, parseDecoderConfig, type DecoderType } from './decoder_config.js';
import { ARCHITECTURES, type Architecture, type ModelConfig } from './family.js';
import { GPT2_CONFIG } from './gpt2.js';
import { RESNET_CONFIG } from './resnet.js';
import { VISION_CONFIG } from './vision_tower.js';
import { VIT_CONFIG } from './vit.js';

export type { ConfigKey } from './config_values.js';

/** What each family reads from config.json besides "architecture". */
const FAMILY_CONFIG: Record<Architecture, readonly ConfigKey[]> = {
  mlp: [],
  resnet: RESNET_CONFIG,
  vit: [...VIT_CONFIG, ...VISION_CONFIG],
  clip: [...VIT_CONFIG, ...VISION_CONFIG],
  gpt2: GPT2_CONFIG,
  // HF decoder LLMs: their settings come from parseDecoderConfig (model_type, rope_scaling, …)
  ...(Object.fromEntries(DECODER_TYPES.map((t) => [t, []])) as unknown as Record<DecoderType, readonly ConfigKey[]>),
};

/** HF `model_type`s of the vision families (the decoder families' are DECODER_TYPES). */
const CLAIMED_MODEL_TYPES: readonly string[] = ['clip', 'clip_vision_model', 'vit', 'gpt2'];

/** Reads `configPath`, or config.json in the checkpoint's folder (a missing one gives {}). */
export async function loadModelConfig(checkpointPath: string, configPath?: string): Promise<Partial<ModelConfig>> {
  const found = await readConfigJson(checkpointPath, configPath);
  return found ? parseModelConfig(found.file, found.raw) : {};
}

/** Parses config.json text: what `loadModelConfig` does after reading the file. */
export function parseConfigText(file: string, text: string): Partial<ModelConfig> {
  return parseModelConfig(file, parseJsonObject(file, text, 'model config'));
}

/** Picks the families' keys out of a parsed config object; `file` names it in errors. A CLIPModel
 *  config's `vision_config` is read for the vision tower (its own keys win). */
export function parseModelConfig(file: string, top: Record<string, unknown>): Partial<ModelConfig> {
  const vision = top.vision_config;
  const raw: Record<string, unknown> =
    vision !== null && typeof vision === 'object' && !Array.isArray(vision)
      ? { architecture: top.architecture, projection_dim: top.projection_dim, ...(vision as Record<string, unknown>) }
      : top;
  const out: Partial<Record<keyof ModelConfig, unknown>> = {};
  if (typeof raw.model_type === 'string') out.modelType = raw.model_type;
  const decoder = parseDecoderConfig(file, raw);
  if (decoder) {
    out.architecture = decoder.modelType;
    out.decoder = decoder;
  }
  if (raw.architecture !== undefined) {
    // timm's hub config.json names the model (`vit_base_patch16_224`): a ViT
    const a = typeof raw.architecture === 'string' && raw.architecture.startsWith('vit_') ? 'vit' : raw.architecture;
    if (typeof a !== 'string' || !(ARCHITECTURES as readonly string[]).includes(a)) {
      throw new Error(`${file}: unknown architecture ${showValue(a)} (expected one of ${ARCHITECTURES.join(', ')})`);
    }
    out.architecture = a;
  }
  // a named architecture reads its own keys; a model_type no family claims (an HF model ctlkit does
  // not build) none, so the model's detection names it; otherwise every family's (the tensors decide)
  const unclaimed = out.architecture === undefined && typeof raw.model_type === 'string' && !CLAIMED_MODEL_TYPES.includes(raw.model_type);
  const families = out.architecture ? [out.architecture as Architecture] : unclaimed ? [] : ARCHITECTURES;
  const keys = new Map<string, ConfigKey>();
  for (const f of families) for (const k of FAMILY_CONFIG[f]) keys.set(`${k.field}:${k.sub ?? ''}:${k.aliases.join(',')}`, k);
  for (const k of keys.values()) {
    const found = aliased(file, raw, k.aliases);
    if (found === undefined) continue;
    const v = k.parse(file, found.key, found.value);
    if (k.sub === undefined) out[k.field] = v;
    else out[k.field] = { ...(out[k.field] as object | undefined), [k.sub]: v };
  }
  return out as Partial<ModelConfig>;
}

/** The value of whichever alias is present; several present must agree. */
function aliased(file: string, raw: Record<string, unknown>, keys: readonly string[]): { key: string; value: unknown } | undefined {
  const present = keys.filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (present.length === 0) return undefined;
  const first = { key: present[0], value: raw[present[0]] };
  for (const k of present.slice(1)) {
    if (raw[k] !== first.value) throw new Error(`${file}: ${quoteName(first.key)} = ${showValue(first.value)} and ${quoteName(k)} = ${showValue(raw[k])} disagree`);
  }
  return first;
}
