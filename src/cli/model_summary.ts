// The model part of `ctlkit inspect`: detected architecture, effective config, hooks, input spec.
import type { Checkpoint } from '../io/types.js';
import type { InputSpec, ModelConfig } from '../models/family.js';
import { buildModel } from '../models/index.js';
import { inputShapeStr } from '../models/input.js';
import { loadingReport, type LoadingReport } from '../models/params.js';
import { quoteName } from '../util/escape.js';

export type ModelSummary =
  | { architecture: string; config: Partial<ModelConfig>; hooks: string[]; logitsHook: string; input: InputSpec; stages: number; loading: LoadingReport }
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
      loading: loadingReport(model, ckpt.tensors),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function formatInputSpec(spec: InputSpec): string {
  const shape = inputShapeStr(spec);
  if (spec.kind === 'float') return `float ${shape}`;
  return `token ids ${shape}, vocabulary ${spec.vocab}${spec.maxLength === undefined ? '' : `, at most ${spec.maxLength} positions`}`;
}

export function formatModelSummary(s: ModelSummary): string {
  if ('error' in s) return `architecture: not recognised (${s.error})`;
  const { decoder, ...flat } = s.config;
  const config = Object.entries(flat).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  // a decoder LLM's config.json settings, one line (rope as type and theta)
  const dec = decoder && [
    `hidden ${decoder.hiddenSize ?? '?'}`, `${decoder.numLayers ?? '?'} layers`, `${decoder.numHeads ?? '?'} heads / ${decoder.numKvHeads ?? decoder.numHeads ?? '?'} kv`,
    `head_dim ${decoder.headDim ?? 'hidden/heads'}`, `rope ${decoder.rope.type} θ=${decoder.rope.theta}`, `tied ${decoder.tieWordEmbeddings}`,
    `sliding window ${decoder.slidingWindow ?? 'none'}`, `act ${decoder.hiddenAct}`, `rms eps ${decoder.rmsNormEps}`,
  ].join(', ');
  return [
    `architecture: ${s.architecture}`,
    `config: ${config}`,
    ...(dec ? [`decoder: ${dec} (${decoder.file})`] : []),
    `input: ${formatInputSpec(s.input)}`,
    `hooks: ${s.hooks.join(', ')}`,
    `logits hook: ${s.logitsHook}`,
    ...loadingLines(s.loading),
  ].join('\n');
}

/** What strict loading (features' default) would refuse, when anything. */
function loadingLines(r: LoadingReport): string[] {
  const list = (names: string[]): string => names.slice(0, 5).map((n) => quoteName(n)).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
  return [
    ...(r.unexpected.length ? [`unexpected tensors (not read by the model): ${list(r.unexpected)}`] : []),
    ...(r.missing.length ? [`missing tensors (run as absent with --allow-missing): ${list(r.missing)}`] : []),
  ];
}
