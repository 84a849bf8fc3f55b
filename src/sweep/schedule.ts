// The streaming schedule: for each chunk of samples, the M basis models and the K row models run
// together stage by stage through the stage executor (models/executor.ts), and every comparison of
// the plan (plan.ts) is accumulated on the fly. What is alive at once: the basis weights (uploaded
// once, kept for the run), one row's combined weights for one stage, and one chunk's activations of
// the M + K models at two consecutive stages. A row whose coefficients are a unit vector e_j (α = 0
// or 1, λ = 0) has exactly basis j's weights (1·w + 0·w' = w for finite w'), so while its input is
// basis j's, its output is basis j's output: shared, not recomputed. A first stage that is linear in
// its weights (Stage.linearInParams) gives each row Σ_j c_j (basis j's output).
import { totalmem } from 'node:os';
import type { Backend, DeviceTensor, FeatureProducts } from '../backends/backend.js';
import type { Checkpoint } from '../io/types.js';
import { executeStages, type Chunk } from '../models/executor.js';
import type { Model, Stage } from '../models/family.js';
import { BasisParams } from '../models/stage_params.js';
import { BasisGram, unitIndex } from '../metrics/comparisons.js';
import { SimilarityAccumulator } from '../metrics/similarity.js';
import { TaskAccumulator, meanLogits, checkLabelShape } from '../metrics/task.js';
import { coefficientRow, type CoefficientMatrix } from './coefficients.js';
import { DEFAULT_PLAN, type SweepPlan } from './plan.js';
import type { MetricName } from '../metrics/metric_names.js';
import { MetricSet } from './metric_set.js';

export interface SweepProgress {
  phase: 'validate' | 'forward' | 'done';
  row?: number;
  layer?: string;
  samplesDone: number;
  samplesTotal: number;
}

export interface ScheduleInput {
  model: Model;
  checkpoints: readonly Checkpoint[];
  matrix: CoefficientMatrix;
  /** Host inputs: float32 [N, ...] or token ids as int32 [N, ...]. */
  inputs: { data: Float32Array | Int32Array; shape: number[] };
  /** Integer labels [N, ...] (row-major), checked against the logits shape per chunk. */
  labels?: { data: Int32Array; shape: number[] };
  /** Hooks to measure, in forward order. */
  layers: readonly string[];
  /** `--metric` (default: cosine only, no MetricSet). */
  metrics?: readonly MetricName[];
}

export interface ScheduleOptions {
  backend: Backend;
  batch: number;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /** Host bytes the pooled metrics may hold (default: half the machine's memory). */
  maxMemory?: number;
  /** Sees every measured hook's features (basis fb, rows fr) of each chunk, e.g. to dump them. */
  onHook?: (hook: string, start: number, fb: readonly DeviceTensor[], fr: readonly DeviceTensor[]) => Promise<void>;
}

/** Accumulators filled by `runSchedule`, in the plan's order. */
export interface ScheduleState {
  plan: SweepPlan;
  /** [row][plan.rows index] by layer */
  rows: Map<string, SimilarityAccumulator>[][];
  /** [plan.basis index] by layer */
  basis: Map<string, SimilarityAccumulator>[];
  rowTask?: TaskAccumulator[];
  basisTask?: TaskAccumulator[];
  ensembleTask?: TaskAccumulator;
  /** The metrics of `--metric` beyond today's cosine fields, with the rows' coefficients. */
  metrics?: { names: readonly MetricName[]; set: MetricSet; rowCoeffs: Float64Array[] };
}

export function rowName(m: CoefficientMatrix, k: number): string {
  if (m.alphas) return `row ${k} (alpha ${m.alphas[k]})`;
  if (m.lambdas) return `row ${k} (lambda ${m.lambdas[k]})`;
  return `row ${k}`;
}

const byLayer = (layers: readonly string[]) => new Map(layers.map((l) => [l, new SimilarityAccumulator()]));

export async function runSchedule(inp: ScheduleInput, opts: ScheduleOptions): Promise<ScheduleState> {
  const { model, matrix, layers } = inp;
  const be = opts.backend;
  const { k: K, m: M } = matrix;
  const plan = matrix.plan ?? DEFAULT_PLAN;
  const n = inp.inputs.shape[0];
  const wanted = new Set(layers);
  const logitsIdx = model.stages.findIndex((s) => s.name === model.logitsHook);
  let last = Math.max(...model.stages.map((s, i) => (wanted.has(s.name) ? i : -1)));
  if (inp.labels) last = Math.max(last, logitsIdx);

  const state: ScheduleState = {
    plan,
    rows: Array.from({ length: K }, () => plan.rows.map(() => byLayer(layers))),
    basis: plan.basis.map(() => byLayer(layers)),
  };
  if (inp.labels) {
    state.rowTask = Array.from({ length: K }, () => new TaskAccumulator());
    state.basisTask = Array.from({ length: M }, () => new TaskAccumulator());
    if (plan.ensemble) state.ensembleTask = new TaskAccumulator();
  }
  const rowCoeffs = Array.from({ length: K }, (_, k) => Float64Array.from(coefficientRow(matrix, k)));
  if (inp.metrics) {
    const maxMemory = opts.maxMemory ?? totalmem() / 2;
    state.metrics = { names: inp.metrics, set: new MetricSet(inp.metrics, plan, K, M, n, layers, maxMemory), rowCoeffs };
  }
  const unit = rowCoeffs.map(unitIndex);
  const params = new BasisParams(be, inp.checkpoints, unit.some((j) => j >= 0));
  const progress = (p: Omit<SweepProgress, 'samplesTotal'>) => opts.onProgress?.({ ...p, samplesTotal: n });

  // lanes 0..M−1: the basis models; M..M+K−1: the rows
  const run = async (stage: Stage, si: number, inputs: readonly DeviceTensor[], chunk: Chunk): Promise<DeviceTensor[]> => {
    progress({ phase: 'forward', layer: stage.name, samplesDone: chunk.start });
    await params.load(stage);
    const xb = inputs.slice(0, M), xr = inputs.slice(M);
    const ob: DeviceTensor[] = [];
    for (let j = 0; j < M; j++) ob.push(await stage.run(be, xb[j], params.lookup(stage, j)));
    const or: DeviceTensor[] = [];
    for (let k = 0; k < K; k++) {
      progress({ phase: 'forward', row: k, layer: stage.name, samplesDone: chunk.start });
      const j = unit[k];
      if (j >= 0 && xr[k] === xb[j] && params.othersFinite(stage, j)) {
        or.push(ob[j]);
        continue;
      }
      if (si === 0 && stage.linearInParams) {
        // same input for every model, output linear in the weights: Σ_j c_j f(x; θ_j), exact
        or.push((await be.combine(ob, rowCoeffs[k], 1))[0]);
        continue;
      }
      const row = await params.row(stage, rowCoeffs[k]);
      try {
        or.push(await stage.run(be, xr[k], row.lookup));
      } finally {
        row.release();
      }
    }
    return [...ob, ...or];
  };

  const after = async (stage: Stage, si: number, outs: readonly DeviceTensor[], chunk: Chunk): Promise<void> => {
    const fb = outs.slice(0, M), fr = outs.slice(M);
    if (wanted.has(stage.name)) {
      await accumulateHook(be, state, stage.name, fb, fr, rowCoeffs, matrix);
      await state.metrics?.set.features(be, stage.name, chunk.start, fb, fr, rowCoeffs);
      await opts.onHook?.(stage.name, chunk.start, fb, fr);
    }
    if (si === logitsIdx && inp.labels) await accumulateTask(be, state, inp.labels, chunk, fb, fr, matrix);
  };

  try {
    await executeStages(be, model.stages, inp.inputs, { run, after }, {
      batch: opts.batch, to: last, lanes: M + K, signal: opts.signal,
      onChunk: (c) => progress({ phase: 'forward', samplesDone: c.end }),
    });
  } finally {
    params.release();
  }
  return state;
}

async function accumulateHook(
  be: Backend,
  state: ScheduleState,
  hook: string,
  fb: readonly DeviceTensor[],
  fr: readonly DeviceTensor[],
  rowCoeffs: Float64Array[],
  matrix: CoefficientMatrix,
): Promise<void> {
  // One pass over the features: ⟨F, B_j⟩ for every basis feature B_j, and ‖F‖², for the basis models
  // and every row with features of its own; every comparison follows (metrics/comparisons.ts).
  const m = fb.length;
  const own = [...new Set(fr.filter((t) => !fb.includes(t)))];
  const products = await be.featureProducts([...fb, ...own], fb);
  const gram = new BasisGram(products.slice(0, m));
  const productsOf = (t: DeviceTensor): FeatureProducts => {
    const shared = fb.indexOf(t);
    return shared >= 0 ? products[shared] : products[m + own.indexOf(t)];
  };
  const { plan } = state;
  for (let k = 0; k < fr.length; k++) {
    const where = `${rowName(matrix, k)}, layer ${hook}`;
    const p = productsOf(fr[k]);
    plan.rows.forEach((cmp, i) => {
      const v = cmp.against === 'own' ? rowCoeffs[k] : cmp.against;
      const stats = gram.rowStats(p, v);
      const at = cmp.against === 'own' ? where : `${where} (vs ${cmp.tag.replace(/^alpha_/, '')})`;
      state.rows[k][i].get(hook)!.add(stats, at);
      state.metrics?.set.rowStats(hook, k, i, stats, at);
    });
  }
  plan.basis.forEach((cmp, i) => {
    const stats = gram.pairStats(cmp.left, cmp.right), at = `basis model ${cmp.tag.replace('_', ' vs ')}, layer ${hook}`;
    state.basis[i].get(hook)!.add(stats, at);
    state.metrics?.set.basisStats(hook, i, stats, at);
  });
}

async function accumulateTask(
  be: Backend,
  state: ScheduleState,
  labels: { data: Int32Array; shape: number[] },
  chunk: Chunk,
  fb: readonly DeviceTensor[],
  fr: readonly DeviceTensor[],
  matrix: CoefficientMatrix,
): Promise<void> {
  const per = labels.data.length / labels.shape[0];
  const chunkLabels = labels.data.subarray(chunk.start * per, chunk.end * per);
  const classes = checkLabelShape(fr[0].shape, [chunk.end - chunk.start, ...labels.shape.slice(1)], 'labels');
  const basisLogits: (Float32Array | Int32Array)[] = [];
  for (const t of fb) basisLogits.push(await be.read(t));
  for (let k = 0; k < fr.length; k++) {
    const shared = fb.indexOf(fr[k]);  // a row sharing a basis model's outputs: read once
    const logits = shared >= 0 ? basisLogits[shared] : await be.read(fr[k]);
    state.rowTask![k].add(logits, chunkLabels, classes, `labels vs ${rowName(matrix, k)} logits`);
  }
  basisLogits.forEach((l, j) => state.basisTask![j].add(l, chunkLabels, classes, `labels vs basis model ${matrix.basis[j]} logits`));
  const ens = state.plan.ensemble;
  if (ens) state.ensembleTask!.add(meanLogits(ens.map((j) => basisLogits[j])), chunkLabels, classes, 'labels vs ensemble logits');
}
