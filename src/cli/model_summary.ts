// The model part of `ctlkit inspect`: detected architecture, effective config, hooks, input spec.
import type { Checkpoint } from '../io/types.js';
import type { InputSpec, ModelConfig } from '../models/family.js';
import { buildModel } from '../models/index.js';
import { inputShapeStr } from '../models/input.js';

export type ModelSummary =
  | { architecture: string; config: Partial<ModelConfig>; hooks: string[]; logitsHook: string; input: InputSpec; stages: number }
  | { error: string };

/** Builds the model from the header; a checkpoint that is not a known model gives `{ error }`. */
export function summarizeModel(ckpt: Checkpoint, config: Partial<ModelConfig>): ModelSummary {
  try {
    const model = buildModel(ckpt.tensors, config, ckpt.path);
    return {
      architecture: model.config.architecture,
      config: model.config,
      hooks: [...model.hooks],
      logitsHook: model.logitsHook,
      input: model.input,
      stages: model.stages.length,
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function formatInputSpec(spec: InputSpec): string {
  const shape = inputShapeStr(spec);
  return spec.kind === 'float' ? `float ${shape}` : `token ids ${shape}, vocabulary ${spec.vocab}, at most ${spec.maxLength} positions`;
}

export function formatModelSummary(s: ModelSummary): string {
  if ('error' in s) return `architecture: not recognised (${s.error})`;
  const config = Object.entries(s.config).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  return [
    `architecture: ${s.architecture}`,
    `config: ${config}`,
    `input: ${formatInputSpec(s.input)}`,
    `hooks: ${s.hooks.join(', ')}`,
    `logits hook: ${s.logitsHook}`,
  ].join('\n');
}
