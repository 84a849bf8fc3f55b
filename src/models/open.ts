// Opens a checkpoint (header only) and builds its model, with config.json beside it or `config`.
import { openCheckpoint } from '../io/checkpoint.js';
import { loadModelConfig } from './config.js';
import type { Checkpoint } from '../io/types.js';
import type { Model, ModelConfig } from './family.js';
import { buildModel } from './index.js';

export interface OpenModelOptions {
  /** A config.json path, or config values (they win over config.json beside the checkpoint). */
  config?: string | Partial<ModelConfig>;
}

/** The lazily opened checkpoint and its model; close the checkpoint when done. */
export async function openModel(path: string, opts: OpenModelOptions = {}): Promise<{ checkpoint: Checkpoint; model: Model }> {
  const config =
    typeof opts.config === 'string'
      ? await loadModelConfig(path, opts.config)
      : { ...(await loadModelConfig(path)), ...(opts.config ?? {}) };
  const checkpoint = await openCheckpoint(path);
  try {
    return { checkpoint, model: buildModel(checkpoint.tensors, config, checkpoint.path) };
  } catch (e) {
    await checkpoint.close();
    throw e;
  }
}
