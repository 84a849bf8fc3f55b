// The streaming schedule: for each chunk of samples, the M basis models and the K row models run
// together stage by stage through the stage executor (models/executor.ts), and every comparison of
// the plan (plan.ts) is accumulated on the fly. What is alive at once: the basis weights (uploaded
// once, kept for the run), one row's combined weights for one stage, and one chunk's activations of
// the M + K models at two consecutive stages. A row whose coefficients are a unit vector e_j (α = 0
// or 1, λ = 0) has exactly basis j's weights (1·w + 0·w' = w for finite w'), so while its input is
// basis j's, its output is basis j's output: shared, not recomputed. A first stage that is linear in
// its weights (Stage.linearInParams) gives each row Σ_j c_j (basis j's output). At LLM scale the basis
// streams (each stage's parameters read when it runs, released after) and a last stage with huge
// outputs (lm_head) runs and is reduced one row at a time. A checkpoint row (checkpoint_rows.ts)
// runs on its own checkpoint's weights, held like the basis's; its coefficients are only its
// comparison target, so neither shortcut applies to it.
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

/** A basis larger than this (float32 bytes, env CTLKIT_BASIS_CACHE_BYTES) is streamed: each stage's
 *  parameters are read from the checkpoints (their storage dtype, e.g. BF16 shards, in the page
 *  cache) when the stage runs and released after it. One chunk of samples always streams. */
export const BASIS_CACHE_BYTES = Number(process.env.CTLKIT_BASIS_CACHE_BYTES ?? 4 * 2 ** 30);
/** The last stage's outputs for all rows at once above this (bytes, env CTLKIT_FEATURE_BYTES): its
 *  rows run and are reduced one at a time, each released before the next (lm_head [N, T, vocab]). */
export const FEATURE_BYTES = Number(process.env.CTLKIT_FEATURE_BYTES ?? 2 ** 30);

export interface MemoryLimits {
  basisCacheBytes?: number;
  featureBytes?: number;
}

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
  /** Per row of `matrix`: the checkpoint of a checkpoint row (its weights), null for a linear row
   *  (weights Σ_j C[k,j] θ_j). Absent: every row is linear. */
  rowCheckpoints?: readonly (Checkpoint | null)[];
}

export interface ScheduleOptions {
  backend: Backend;
  batch: number;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /** When the basis is streamed per stage and when the last stage's rows are reduced one at a time. */
  memory?: MemoryLimits;
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
  const c = m.checkpoints?.[k];
  if (c) return `row ${k} (${c.name}: ${c.path})`;
  if (m.alphas) return `row ${k} (alpha ${m.alphas[k]})`;
  if (m.lambdas) return `row ${k} (lambda ${m.lambdas[k]})`;
  return `row ${k}`;
}

const byLayer = (layers: readonly string[]) => new Map(layers.map((l) => [l, new SimilarityAccumulator()]));

/** Float32 bytes of every basis parameter the stages read, from the checkpoint headers. */
export function basisBytes(ckpts: readonly Checkpoint[], stages: readonly Stage[]): number {
  const names = new Set(stages.flatMap((st) => st.params));
  let total = 0;
  for (const c of ckpts) for (const nm of names) total += 4 * (c.tensors.get(nm)?.shape.reduce((p, d) => p * d, 1) ?? 0);
  return total;
}

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
  // checkpoint rows: their distinct checkpoints, held like the basis; own[k] indexes row k's (−1: linear)
  const rc = inp.rowCheckpoints;
  if ((rc !== undefined && rc.length !== K) || matrix.checkpoints?.some((c, k) => (c !== null) !== ((rc?.[k] ?? null) !== null))) {
    throw new Error(`runSchedule: rowCheckpoints must hold one entry per row (${K}), a checkpoint exactly for the matrix's checkpoint rows`);
  }
  const ownCkpts: Checkpoint[] = [];
  const own = Array.from({ length: K }, (_, k) => {
    const c = inp.rowCheckpoints?.[k] ?? null;
    if (c === null) return -1;
    const i = ownCkpts.indexOf(c);
    return i >= 0 ? i : ownCkpts.push(c) - 1;
  });
  // a unit row shares basis j's features only when its weights are basis j's: never a checkpoint row
  const unit = rowCoeffs.map((c, k) => (own[k] >= 0 ? -1 : unitIndex(c)));
  const params = new BasisParams(be, inp.checkpoints, unit.some((j) => j >= 0));
  const ownParams = new BasisParams(be, ownCkpts);
  const streamBasis = n <= opts.batch || basisBytes([...inp.checkpoints, ...ownCkpts], model.stages.slice(0, last + 1)) > (opts.memory?.basisCacheBytes ?? BASIS_CACHE_BYTES);
  const progress = (p: Omit<SweepProgress, 'samplesTotal'>) => opts.onProgress?.({ ...p, samplesTotal: n });
  /** Stages whose rows were reduced one at a time inside `run` (their outputs are the basis lanes only). */
  const reducedInRun = new Set<number>();

  /** Row k's output at `stage` from its input x. */
  const rowOutput = async (stage: Stage, si: number, k: number, x: DeviceTensor, xb: readonly DeviceTensor[], ob: readonly DeviceTensor[]): Promise<DeviceTensor> => {
    if (own[k] >= 0) return stage.run(be, x, ownParams.lookup(stage, own[k]));
    const j = unit[k];
    if (j >= 0 && x === xb[j] && params.othersFinite(stage, j)) return ob[j];
    // same input for every model, output linear in the weights: Σ_j c_j f(x; θ_j), exact
    if (si === 0 && stage.linearInParams) return (await be.combine(ob, rowCoeffs[k], 1))[0];
    const row = await params.row(stage, rowCoeffs[k]);
    try {
      return await stage.run(be, x, row.lookup);
    } finally {
      row.release();
    }
  };

  // lanes 0..M−1: the basis models; M..M+K−1: the rows
  const run = async (stage: Stage, si: number, inputs: readonly DeviceTensor[], chunk: Chunk): Promise<DeviceTensor[]> => {
    progress({ phase: 'forward', layer: stage.name, samplesDone: chunk.start });
    await params.load(stage);
    await ownParams.load(stage);
    try {
      const xb = inputs.slice(0, M), xr = inputs.slice(M);
      const ob: DeviceTensor[] = [];
      for (let j = 0; j < M; j++) ob.push(await stage.run(be, xb[j], params.lookup(stage, j)));
      // the last stage with large outputs (lm_head [N, T, vocab]): each row is reduced and released
      // before the next runs, so only the M basis outputs and one row's are alive
      const bytes = 4 * ob[0].shape.reduce((p, d) => p * d, 1);
      if (si === last && (M + K) * bytes > (opts.memory?.featureBytes ?? FEATURE_BYTES)) {
        await reduceRowByRow(stage, si, ob, xb, xr, chunk);
        reducedInRun.add(si);
        return ob;
      }
      const or: DeviceTensor[] = [];
      for (let k = 0; k < K; k++) {
        progress({ phase: 'forward', row: k, layer: stage.name, samplesDone: chunk.start });
        or.push(await rowOutput(stage, si, k, xr[k], xb, ob));
      }
      return [...ob, ...or];
    } finally {
      if (streamBasis) {
        params.releaseStage(stage);
        ownParams.releaseStage(stage);
      }
    }
  };

  const reduceRowByRow = async (stage: Stage, si: number, ob: DeviceTensor[], xb: readonly DeviceTensor[], xr: readonly DeviceTensor[], chunk: Chunk): Promise<void> => {
    const hook = wanted.has(stage.name);
    if (hook && state.metrics) {
      throw new Error(`--metric ${state.metrics.names.join(',')}: layer ${stage.name}'s outputs for all rows exceed the feature memory limit (its rows run one at a time); measure it with the default cosine metric, or leave it out with --layers`);
    }
    const task = si === logitsIdx && inp.labels;
    const gram = hook ? await be.featureProducts(ob, ob) : undefined;
    if (hook) accumulateBasis(state, stage.name, new BasisGram(gram!));
    if (task) await accumulateTask(be, state, inp.labels!, chunk, ob, [], matrix, []);
    for (let k = 0; k < K; k++) {
      progress({ phase: 'forward', row: k, layer: stage.name, samplesDone: chunk.start });
      const y = await rowOutput(stage, si, k, xr[k], xb, ob);
      try {
        if (hook) await accumulateRows(be, state, stage.name, ob, [y], [k], rowCoeffs, matrix, gram);
        if (task) await accumulateTask(be, state, inp.labels!, chunk, ob, [y], matrix, [k]);
      } finally {
        if (!ob.includes(y)) be.release(y);
      }
    }
  };

  const after = async (stage: Stage, si: number, outs: readonly DeviceTensor[], chunk: Chunk): Promise<void> => {
    if (reducedInRun.has(si)) return;
    const fb = outs.slice(0, M), fr = outs.slice(M);
    if (wanted.has(stage.name)) {
      const gram = await accumulateRows(be, state, stage.name, fb, fr, fr.map((_, k) => k), rowCoeffs, matrix);
      accumulateBasis(state, stage.name, gram);
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
    ownParams.release();
  }
  return state;
}

/** The rows' comparisons at `hook`: fr holds the features of rows `rows` (a row may share a basis
 *  model's tensor). One pass over the features: ⟨F, B_j⟩ for every basis feature B_j and ‖F‖², for
 *  the basis models (unless their products `gram` are given) and every row with features of its own;
 *  every comparison follows (metrics/comparisons.ts). Returns the basis's Gram matrix. */
async function accumulateRows(
  be: Backend,
  state: ScheduleState,
  hook: string,
  fb: readonly DeviceTensor[],
  fr: readonly DeviceTensor[],
  rows: readonly number[],
  rowCoeffs: Float64Array[],
  matrix: CoefficientMatrix,
  gramProducts?: FeatureProducts[],
): Promise<BasisGram> {
  const m = fb.length;
  const own = [...new Set(fr.filter((t) => !fb.includes(t)))];
  const basisProducts = gramProducts ?? [];
  const computed = own.length === 0 && gramProducts ? [] : await be.featureProducts(gramProducts ? own : [...fb, ...own], fb);
  const products = gramProducts ? [...basisProducts, ...computed] : computed;
  const gram = new BasisGram(products.slice(0, m));
  const productsOf = (t: DeviceTensor): FeatureProducts => {
    const shared = fb.indexOf(t);
    return shared >= 0 ? products[shared] : products[m + own.indexOf(t)];
  };
  const { plan } = state;
  fr.forEach((f, r) => {
    const k = rows[r];
    const where = `${rowName(matrix, k)}, layer ${hook}`;
    const p = productsOf(f);
    plan.rows.forEach((cmp, i) => {
      const v = cmp.against === 'own' ? rowCoeffs[k] : cmp.against;
      const stats = gram.rowStats(p, v);
      const at = cmp.against === 'own' ? where : `${where} (vs ${cmp.tag.replace(/^alpha_/, '')})`;
      state.rows[k][i].get(hook)!.add(stats, at);
      state.metrics?.set.rowStats(hook, k, i, stats, at);
    });
  });
  return gram;
}

/** The plan's comparisons between basis combinations at `hook`. */
function accumulateBasis(state: ScheduleState, hook: string, gram: BasisGram): void {
  state.plan.basis.forEach((cmp, i) => {
    const stats = gram.pairStats(cmp.left, cmp.right), at = `basis model ${cmp.tag.replace('_', ' vs ')}, layer ${hook}`;
    state.basis[i].get(hook)!.add(stats, at);
    state.metrics?.set.basisStats(hook, i, stats, at);
  });
}

/** Loss and accuracy at the logits: every row in fr and the basis (default), or only rows `rows`
 *  (fr holds theirs; an empty list: the basis and the ensemble only). */
async function accumulateTask(
  be: Backend,
  state: ScheduleState,
  labels: { data: Int32Array; shape: number[] },
  chunk: Chunk,
  fb: readonly DeviceTensor[],
  fr: readonly DeviceTensor[],
  matrix: CoefficientMatrix,
  rows?: readonly number[],
): Promise<void> {
  const per = labels.data.length / labels.shape[0];
  const chunkLabels = labels.data.subarray(chunk.start * per, chunk.end * per);
  const classes = checkLabelShape(fb[0].shape, [chunk.end - chunk.start, ...labels.shape.slice(1)], 'labels');
  if (rows !== undefined && rows.length > 0) {
    // one row at a time: its logits only (a row sharing a basis model's outputs reads them again)
    for (let r = 0; r < rows.length; r++) {
      state.rowTask![rows[r]].add(await be.read(fr[r]), chunkLabels, classes, `labels vs ${rowName(matrix, rows[r])} logits`);
    }
    return;
  }
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
