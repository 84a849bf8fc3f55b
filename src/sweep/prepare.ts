// Opens and checks everything a sweep (or a stitch) needs, from headers and host inputs only:
// checkpoint compatibility, the architecture (built once), inputs, labels, layers. No tensor data of
// the checkpoints is read and no backend op runs here.
import { openCheckpoint } from '../io/checkpoint.js';
import { checkCompatible, closeAll } from '../io/checkpoint_set.js';
import { loadModelConfig } from '../models/config.js';
import { readInputs } from '../io/inputs.js';
import type { Checkpoint } from '../io/types.js';
import type { Model, ModelConfig } from '../models/family.js';
import { buildModel } from '../models/index.js';
import { attachHead } from '../models/zero_shot_head.js';
import { validateInput } from '../models/input.js';
import { intValues, isFloat, type Tensor } from '../tensor.js';
import { gatherRows, sampleIndices } from './subsample.js';
import { checkRowCheckpoint } from './checkpoint_rows.js';
import { checkLabels } from './validate.js';

export interface DataSpec {
  /** Inputs: a safetensors file (`inputKey`, default `inputs`) or .npy, or a host tensor. */
  inputs: string | Tensor;
  inputKey?: string;
  /** Labels: a file (safetensors `labelKey`, default `labels`; .npy), or a host integer tensor.
   *  When absent, labels are taken from the inputs file if it holds them. */
  labels?: string | Tensor;
  labelKey?: string;
  /** Model config: a config.json path or an object; default: config.json beside the first model. */
  config?: string | Partial<ModelConfig>;
  /** Deterministic subsample of `samples` inputs (seeded by `seed`, default 0). */
  samples?: number;
  seed?: number;
  /** A zero-shot head file laid over every basis model (`weight` [C, E], optional `bias`): adds the
   *  hook `logits` (models/zero_shot_head.ts). */
  head?: string;
}

export interface Prepared {
  model: Model;
  checkpoints: Checkpoint[];
  /** The checkpoint rows' own checkpoints (checkpoint_rows.ts), one per path given to `prepare`. */
  rowCheckpoints: Checkpoint[];
  inputs: { data: Float32Array | Int32Array; shape: number[] };
  labels?: { data: Int32Array; shape: number[] };
}

async function loadData(spec: DataSpec): Promise<{ inputs: Tensor; labels?: Tensor; inputName: string; labelName: string }> {
  const inputName = typeof spec.inputs === 'string' ? `${spec.inputs} (${spec.inputKey ?? 'inputs'})` : 'inputs';
  let inputs: Tensor;
  let labels: Tensor | undefined;
  if (typeof spec.inputs === 'string') {
    const r = await readInputs(spec.inputs, { key: spec.inputKey, labelKey: spec.labelKey });
    inputs = r.inputs;
    labels = r.labels;
  } else inputs = spec.inputs;
  let labelName = inputName.replace(/\(.*\)$/, `(${spec.labelKey ?? 'labels'})`);
  if (typeof spec.labels === 'string') {
    labelName = spec.labels;
    // the labels file's tensor is read as the "inputs" of that file
    labels = (await readInputs(spec.labels, { key: spec.labelKey ?? 'labels' })).inputs;
  } else if (spec.labels) {
    labels = spec.labels;
    labelName = 'labels';
  }
  return { inputs, labels, inputName, labelName };
}

/** Opens `models` (headers only) and the checkpoint rows' checkpoints `rows` (checked against the
 *  basis; `name` is the row's, for errors), builds the architecture once and loads the inputs. */
export async function prepare(models: readonly string[], data: DataSpec, rows: readonly { path: string; name: string }[] = []): Promise<Prepared> {
  if (models.length === 0) throw new Error('no models given');
  let opened: Checkpoint[] = [];
  try {
    for (const m of [...models, ...rows.map((r) => r.path)]) opened.push(await openCheckpoint(m));
    // a zero-shot head is laid over the checkpoint rows too: the same head as every basis model's
    if (data.head !== undefined) opened = await attachHead(opened, data.head);
    const checkpoints = opened.slice(0, models.length);
    const rowCheckpoints = opened.slice(models.length);
    checkCompatible(checkpoints);
    rows.forEach((r, i) => checkRowCheckpoint(checkpoints[0], rowCheckpoints[i], r.name));
    const config = typeof data.config === 'object' ? data.config : await loadModelConfig(models[0], data.config);
    const model = buildModel(checkpoints[0].tensors, config, models[0]);
    const { inputs, labels, inputName, labelName } = await loadData(data);
    validateInput(model, inputs, inputName);
    const n = inputs.shape[0];
    if (n === 0) throw new Error(`${inputName}: no samples`);
    let x: Float32Array | Int32Array = isFloat(inputs) ? inputs.data : intValues(inputs);
    let xShape = [...inputs.shape];
    let y: { data: Int32Array; shape: number[] } | undefined;
    if (labels) {
      if (isFloat(labels)) throw new Error(`${labelName}: labels must be integers, got float32`);
      y = { data: intValues(labels), shape: [...labels.shape] };
      checkLabels(model, inputs.shape, y, labelName);
    }
    if (data.samples !== undefined) {
      const idx = sampleIndices(n, data.samples, data.seed ?? 0);
      x = gatherRows(x, n, idx);
      xShape = [idx.length, ...xShape.slice(1)];
      if (y) y = { data: gatherRows(y.data, n, idx), shape: [idx.length, ...y.shape.slice(1)] };
    }
    return { model, checkpoints, rowCheckpoints, inputs: { data: x, shape: xShape }, labels: y };
  } catch (e) {
    await closeAll(opened);
    throw e;
  }
}
