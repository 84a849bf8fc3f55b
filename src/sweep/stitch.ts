// Stitching (the paper's task-arithmetic experiments): compute features at hook ℓ for some rows of a
// coefficient matrix over the basis, inject their combination h = Σ_i w_i f_ℓ(θ_i) in place of
// layer ℓ's output, run one model θ_run = Σ_j c_j θ_j from ℓ onward, and report loss/accuracy.
// Example: h = 2 f_ℓ(θ0) − f_ℓ(θ0 + λτ) continued by θ0 − λτ.
import type { Backend, DeviceTensor } from '../backends/backend.js';
import type { Checkpoint } from '../io/types.js';
import type { Model } from '../models/family.js';
import { TaskAccumulator, checkLabelShape, type TaskMetrics } from '../metrics/task.js';
import { closeAll } from '../io/checkpoint_set.js';
import { prepare, type DataSpec } from './prepare.js';
import { executeStages } from '../models/executor.js';
import { BasisParams } from '../models/stage_params.js';

export interface StitchSpec {
  /** The hook whose output is replaced. */
  hook: string;
  /** Rows over the basis (each of width M) whose features at `hook` are combined. */
  featureRows: number[][];
  /** w_i: the injected features are Σ_i w_i f_hook(θ_{featureRows[i]}). */
  featureWeights: number[];
  /** Coefficients over the basis of the model that runs from `hook` onward. */
  runRow: number[];
}

export interface StitchInput {
  model: Model;
  checkpoints: readonly Checkpoint[];
  inputs: { data: Float32Array | Int32Array; shape: number[] };
  labels: { data: Int32Array; shape: number[] };
}

function checkSpec(model: Model, m: number, s: StitchSpec): number {
  const idx = model.stages.findIndex((st) => st.name === s.hook);
  if (idx < 0 || !model.stages[idx].hook) {
    throw new Error(`stitch: unknown layer '${s.hook}'; hooks: ${model.hooks.join(', ')}`);
  }
  const logitsIdx = model.stages.findIndex((st) => st.name === model.logitsHook);
  if (idx > logitsIdx) throw new Error(`stitch: layer '${s.hook}' comes after the logits hook '${model.logitsHook}'`);
  if (s.featureRows.length === 0 || s.featureRows.length !== s.featureWeights.length) {
    throw new Error(`stitch: ${s.featureRows.length} feature rows for ${s.featureWeights.length} weights (need as many, at least one)`);
  }
  for (const [what, row] of [...s.featureRows.map((r, i) => [`feature row ${i}`, r] as const), ['run row', s.runRow] as const]) {
    if (row.length !== m || row.some((v) => !Number.isFinite(v))) {
      throw new Error(`stitch: ${what} must have ${m} finite coefficients (one per model), got [${row.join(', ')}]`);
    }
  }
  if (s.featureWeights.some((v) => !Number.isFinite(v))) throw new Error(`stitch: feature weights must be finite`);
  return idx;
}

export interface StitchOptions {
  backend: Backend;
  /** Samples per chunk (default 32). */
  batch?: number;
  signal?: AbortSignal;
  /** Called after each chunk of samples. */
  onProgress?: (p: { samplesDone: number; samplesTotal: number }) => void;
}

/** Loss and accuracy of θ_run continued from the injected features at `hook`. */
export async function stitchEvaluate(inp: StitchInput, spec: StitchSpec, opts: StitchOptions): Promise<TaskMetrics> {
  const { model } = inp;
  const be = opts.backend;
  const hookIdx = checkSpec(model, inp.checkpoints.length, spec);
  const logitsIdx = model.stages.findIndex((st) => st.name === model.logitsHook);
  // lanes 0..R−1 up to the hook: the feature models; then one lane: the model that continues
  const featureRows = spec.featureRows.map((r) => Float64Array.from(r));
  const runRow = Float64Array.from(spec.runRow);
  const weights = Float64Array.from(spec.featureWeights);
  const labelsPer = inp.labels.data.length / Math.max(inp.labels.shape[0], 1);
  const params = new BasisParams(be, inp.checkpoints);
  const task = new TaskAccumulator();
  try {
    await executeStages(be, model.stages, inp.inputs, {
      run: async (stage, si, xs) => {
        await params.load(stage);
        const rows = si <= hookIdx ? featureRows : [runRow];
        const out: DeviceTensor[] = [];
        for (let r = 0; r < rows.length; r++) {
          const row = await params.row(stage, rows[r]);
          try {
            out.push(await stage.run(be, xs[r], row.lookup));
          } finally {
            row.release();
          }
        }
        return out;
      },
      after: async (_stage, si, xs, chunk) => {
        const injected = si === hookIdx ? await be.combine(xs, weights, 1) : undefined;  // h = Σ_i w_i f_ℓ(θ_i)
        if (si !== logitsIdx) return injected;
        try {
          const y = (injected ?? xs)[0];
          const classes = checkLabelShape(y.shape, [chunk.end - chunk.start, ...inp.labels.shape.slice(1)], 'labels');
          task.add(await be.read(y), inp.labels.data.subarray(chunk.start * labelsPer, chunk.end * labelsPer), classes, `stitch at ${spec.hook}`);
        } catch (e) {
          if (injected) be.release(injected[0]);
          throw e;
        }
        return injected;
      },
    }, {
      batch: opts.batch ?? 32, to: logitsIdx, lanes: featureRows.length, signal: opts.signal,
      onChunk: (c) => opts.onProgress?.({ samplesDone: c.end, samplesTotal: inp.inputs.shape[0] }),
    });
  } finally {
    params.release();
  }
  return task.result();
}

/** Opens the basis `models` and the data (labels required), then `stitchEvaluate`. */
export async function runStitch(
  models: readonly string[],
  data: DataSpec,
  spec: StitchSpec,
  opts: StitchOptions,
): Promise<TaskMetrics> {
  const prep = await prepare(models, data);
  try {
    if (!prep.labels) throw new Error('stitch: labels are needed for loss and accuracy (none in the inputs file, no --labels)');
    return await stitchEvaluate({ ...prep, labels: prep.labels }, spec, opts);
  } finally {
    await closeAll(prep.checkpoints);
  }
}
