// Opens a checkpoint (header only) and builds its model, with config.json beside it or `config`.
import { openCheckpoint } from '../io/checkpoint.js';
import { loadModelConfig } from './config.js';
import type { Checkpoint } from '../io/types.js';
import type { Model, ModelConfig } from './family.js';
import { buildModel } from './index.js';
import { attachHead } from './zero_shot_head.js';

export interface OpenModelOptions {
  /** A config.json path, or config values (they win over config.json beside the checkpoint). */
  config?: string | Partial<ModelConfig>;
  /** A zero-shot head file (`weight` [C, E], optional `bias`): adds the hook `logits`. */
  head?: string;
}

/** The lazily opened checkpoint and its model; close the checkpoint when done. */
export async function openModel(path: string, opts: OpenModelOptions = {}): Promise<{ checkpoint: Checkpoint; model: Model }> {
  const config =
    typeof opts.config === 'string'
      ? await loadModelConfig(path, opts.config)
      : { ...(await loadModelConfig(path)), ...(opts.config ?? {}) };
  let checkpoint = await openCheckpoint(path);
  if (opts.head !== undefined) {
    try {
      [checkpoint] = await attachHead([checkpoint], opts.head);
    } catch (e) {
      await checkpoint.close();
      throw e;
    }
  }
  try {
    return { checkpoint, model: buildModel(checkpoint.tensors, config, checkpoint.path) };
  } catch (e) {
    await checkpoint.close();
    throw e;
  }
}
