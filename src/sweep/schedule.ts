// The streaming schedule: for each chunk of samples, run the M basis models and the K row models
// together stage by stage, accumulating every metric on the fly. What is alive at once: the basis
// weights (uploaded once, kept for the run), one row's combined weights for one stage, and one
// chunk's activations of the M + K models at two consecutive stages. A row whose coefficients are a
// unit vector e_j (α = 0 or 1, λ = 0) has exactly basis j's weights (1·w + 0·w' = w for finite w'),
// so while its input is basis j's, its output is basis j's output: shared, not recomputed. A first
// stage that is linear in its weights (Stage.linearInParams) gives each row Σ_j c_j (basis j's output).
import type { Backend, DeviceTensor, FeatureProducts, FeatureStats } from '../backends/backend.js';
import type { Checkpoint } from '../io/types.js';
import type { Model, Stage } from '../models/family.js';
import { isFloat, type Tensor } from '../tensor.js';
import { SimilarityAccumulator } from '../metrics/similarity.js';
import { TaskAccumulator, meanLogits, checkLabelShape } from '../metrics/task.js';
import { coefficientRow, type CoefficientMatrix } from './coefficients.js';

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
}

export interface ScheduleOptions {
  backend: Backend;
  batch: number;
  /** overrides BASIS_CACHE_BYTES and FEATURE_BYTES */
  memory?: MemoryLimits;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
}

/** Accumulators filled by `runSchedule`. */
export interface ScheduleState {
  /** [row][layer] F_k vs G_k */
  int: Map<string, SimilarityAccumulator>[];
  /** interpolate mode: [row][layer] F_k vs f(θ_A), F_k vs f(θ_B) */
  vsA?: Map<string, SimilarityAccumulator>[];
  vsB?: Map<string, SimilarityAccumulator>[];
  /** interpolate mode: [layer] f(θ_A) vs f(θ_B) */
  baseline?: Map<string, SimilarityAccumulator>;
  rowTask?: TaskAccumulator[];
  basisTask?: TaskAccumulator[];
  ensembleTask?: TaskAccumulator;
}

export function rowName(m: CoefficientMatrix, k: number): string {
  if (m.alphas) return `row ${k} (alpha ${m.alphas[k]})`;
  if (m.lambdas) return `row ${k} (lambda ${m.lambdas[k]})`;
  return `row ${k}`;
}

function perRow(k: number, layers: readonly string[]): Map<string, SimilarityAccumulator>[] {
  return Array.from({ length: k }, () => new Map(layers.map((l) => [l, new SimilarityAccumulator()])));
}

/** Uploads basis parameters on first use and keeps them for the whole run. */
export class BasisParams {
  private readonly cache: Map<string, DeviceTensor>[];
  /** Parameters (basis j, name) that hold a NaN or ±Inf. */
  private readonly nonFinite = new Set<string>();
  /** trackNonFinite: scan each parameter for NaN/±Inf on upload (only othersFinite needs it). */
  constructor(private readonly be: Backend, private readonly ckpts: readonly Checkpoint[], private readonly trackNonFinite = false) {
    this.cache = ckpts.map(() => new Map());
  }

  async get(j: number, name: string): Promise<DeviceTensor> {
    const hit = this.cache[j].get(name);
    if (hit) return hit;
    const t: Tensor = await this.ckpts[j].read(name);
    if (!isFloat(t)) throw new Error(`${this.ckpts[j].path}: tensor '${name}' is ${t.dtype}, a model parameter must be float`);
    const d = this.be.upload(t.data, t.shape);
    this.cache[j].set(name, d);
    if (this.trackNonFinite && !t.data.every(Number.isFinite)) this.nonFinite.add(`${j}\0${name}`);
    return d;
  }

  /** Per basis model, the stage's parameters by name. */
  async forStage(stage: Stage): Promise<Map<string, DeviceTensor>[]> {
    const names = [...new Set(stage.params)];
    const maps: Map<string, DeviceTensor>[] = [];
    for (let j = 0; j < this.ckpts.length; j++) {
      const mp = new Map<string, DeviceTensor>();
      for (const nm of names) mp.set(nm, await this.get(j, nm));
      maps.push(mp);
    }
    return maps;
  }

  /** Whether every basis model other than `j` has only finite values in the stage's parameters
   *  (already fetched with `forStage`, with trackNonFinite): then 0·w' adds exactly nothing. */
  othersFinite(stage: Stage, j: number): boolean {
    if (!this.trackNonFinite) throw new Error('BasisParams.othersFinite needs trackNonFinite');
    return this.ckpts.every((_, i) => i === j || stage.params.every((nm) => !this.nonFinite.has(`${i}\0${nm}`)));
  }

  /** Releases the stage's parameters (a streamed basis: they are read again when next needed). */
  releaseStage(stage: Stage): void {
    for (const mp of this.cache) {
      for (const nm of new Set(stage.params)) {
        const t = mp.get(nm);
        if (t) this.be.release(t);
        mp.delete(nm);
      }
    }
  }

  release(): void {
    releaseMaps(this.be, this.cache);
  }
}

/** Float32 bytes of every basis parameter the stages read, from the checkpoint headers. */
export function basisBytes(ckpts: readonly Checkpoint[], stages: readonly Stage[]): number {
  const names = new Set(stages.flatMap((st) => st.params));
  let total = 0;
  for (const c of ckpts) for (const nm of names) total += 4 * (c.tensors.get(nm)?.shape.reduce((p, d) => p * d, 1) ?? 0);
  return total;
}

export interface MemoryLimits {
  basisCacheBytes?: number;
  featureBytes?: number;
}

/** A basis larger than this (float32 bytes, env CTLKIT_BASIS_CACHE_BYTES) is streamed: each stage's
 *  parameters are read from the checkpoints (their storage dtype, e.g. BF16 shards, in the page
 *  cache) when the stage runs and released after it. One chunk of samples always streams. */
export const BASIS_CACHE_BYTES = Number(process.env.CTLKIT_BASIS_CACHE_BYTES ?? 4 * 2 ** 30);
/** The last stage's outputs for all rows at once above this (bytes, env CTLKIT_FEATURE_BYTES): its
 *  rows run and are reduced one at a time, each released before the next (lm_head [N, T, vocab]). */
export const FEATURE_BYTES = Number(process.env.CTLKIT_FEATURE_BYTES ?? 2 ** 30);

/** One stage's combined weights for all K rows: W_k = Σ_j C[k,j] W_j (C is K×M row-major). */
export async function combineStage(be: Backend, basisMaps: Map<string, DeviceTensor>[], c: Float64Array, k: number): Promise<Map<string, DeviceTensor>[]> {
  const rowMaps: Map<string, DeviceTensor>[] = Array.from({ length: k }, () => new Map());
  for (const nm of basisMaps[0].keys()) {
    const out = await be.combine(basisMaps.map((mp) => mp.get(nm)!), c, k, 'parameters');
    out.forEach((t, i) => rowMaps[i].set(nm, t));
  }
  return rowMaps;
}

/** j when c is the unit vector e_j (one entry exactly 1, the others exactly 0), else -1. */
function unitIndex(c: Float64Array): number {
  const j = c.indexOf(1);
  return j >= 0 && c.every((v, i) => i === j || v === 0) ? j : -1;
}

/** Releases each distinct tensor of `ts` once (rows may share a basis model's output). */
function releaseDistinct(be: Backend, ts: readonly DeviceTensor[], keep?: DeviceTensor): void {
  for (const t of new Set(ts)) if (t !== keep) be.release(t);
}

export function releaseMaps(be: Backend, maps: Map<string, DeviceTensor>[]): void {
  for (const m of maps) for (const t of m.values()) be.release(t);
}

export function lookup(map: Map<string, DeviceTensor>, stage: Stage) {
  return (name: string): DeviceTensor => {
    const t = map.get(name);
    if (!t) throw new Error(`stage '${stage.name}' asked for parameter '${name}' it does not list`);
    return t;
  };
}

export async function runSchedule(inp: ScheduleInput, opts: ScheduleOptions): Promise<ScheduleState> {
  const { model, matrix, layers } = inp;
  const be = opts.backend;
  const { k: K, m: M } = matrix;
  const interp = matrix.mode === 'interpolate';
  const n = inp.inputs.shape[0];
  const perSampleIn = inp.inputs.data.length / Math.max(n, 1);
  const wanted = new Set(layers);
  const logitsIdx = model.stages.findIndex((s) => s.name === model.logitsHook);
  let last = Math.max(...model.stages.map((s, i) => (wanted.has(s.name) ? i : -1)));
  if (inp.labels) last = Math.max(last, logitsIdx);
  const stages = model.stages.slice(0, last + 1);

  const state: ScheduleState = { int: perRow(K, layers) };
  if (interp) {
    state.vsA = perRow(K, layers);
    state.vsB = perRow(K, layers);
    state.baseline = new Map(layers.map((l) => [l, new SimilarityAccumulator()]));
  }
  if (inp.labels) {
    state.rowTask = Array.from({ length: K }, () => new TaskAccumulator());
    state.basisTask = Array.from({ length: M }, () => new TaskAccumulator());
    if (matrix.mode === 'average') state.ensembleTask = new TaskAccumulator();
  }
  const rowCoeffs = Array.from({ length: K }, (_, k) => Float64Array.from(coefficientRow(matrix, k)));
  const unit = rowCoeffs.map(unitIndex);
  const params = new BasisParams(be, inp.checkpoints, unit.some((j) => j >= 0));
  const streamBasis = n <= opts.batch || basisBytes(inp.checkpoints, stages) > (opts.memory?.basisCacheBytes ?? BASIS_CACHE_BYTES);
  const progress = (p: Omit<SweepProgress, 'samplesTotal'>) => opts.onProgress?.({ ...p, samplesTotal: n });

  try {
    for (let start = 0; start < n; start += opts.batch) {
      const end = Math.min(n, start + opts.batch);
      const x0 = be.upload(inp.inputs.data.slice(start * perSampleIn, end * perSampleIn), [end - start, ...inp.inputs.shape.slice(1)]);
      let xb: DeviceTensor[] = Array(M).fill(x0);
      let xr: DeviceTensor[] = Array(K).fill(x0);
      let x0Live = true;
      try {
        for (let si = 0; si < stages.length; si++) {
          opts.signal?.throwIfAborted();
          const stage = stages[si];
          progress({ phase: 'forward', layer: stage.name, samplesDone: start });
          const basisMaps = await params.forStage(stage);
          const ob: DeviceTensor[] = [];
          for (let j = 0; j < M; j++) ob.push(await stage.run(be, xb[j], lookup(basisMaps[j], stage)));
          const bytes = 4 * ob[0].shape.reduce((p, d) => p * d, 1);
          // the last stage with large outputs: each row is reduced and released before the next
          const rowByRow = si === stages.length - 1 && (M + K) * bytes > (opts.memory?.featureBytes ?? FEATURE_BYTES);
          const or: DeviceTensor[] = [];
          if (rowByRow) {
            await lastStageRowByRow(be, state, { stage, si, logitsIdx, hook: wanted.has(stage.name), labels: inp.labels, start, end },
              ob, xb, xr, basisMaps, rowCoeffs, unit, params, matrix);
          } else {
            for (let k = 0; k < K; k++) {
              progress({ phase: 'forward', row: k, layer: stage.name, samplesDone: start });
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
              const [rowMap] = await combineStage(be, basisMaps, rowCoeffs[k], 1);
              try {
                or.push(await stage.run(be, xr[k], lookup(rowMap, stage)));
              } finally {
                releaseMaps(be, [rowMap]);
              }
            }
          }
          if (streamBasis) params.releaseStage(stage);
          if (si === 0) {
            be.release(x0);
            x0Live = false;
          } else releaseDistinct(be, [...xb, ...xr]);
          xb = ob;
          xr = or;

          if (rowByRow) continue;
          if (wanted.has(stage.name)) await accumulateHook(be, state, stage.name, xb, xr, rowCoeffs, matrix);
          if (si === logitsIdx && inp.labels) await accumulateTask(be, state, inp.labels, start, end, xb, xr, matrix);
        }
      } finally {
        if (x0Live) be.release(x0);
        releaseDistinct(be, [...xb, ...xr], x0);
      }
      progress({ phase: 'forward', samplesDone: end });
    }
  } finally {
    params.release();
  }
  return state;
}

/** The last stage, one row at a time: each row's output is reduced (hook metrics, loss) and
 *  released before the next row runs, so only the M basis outputs and one row's are alive. */
async function lastStageRowByRow(
  be: Backend,
  state: ScheduleState,
  at: { stage: Stage; si: number; logitsIdx: number; hook: boolean; labels?: { data: Int32Array; shape: number[] }; start: number; end: number },
  ob: DeviceTensor[],
  xb: DeviceTensor[],
  xr: DeviceTensor[],
  basisMaps: Map<string, DeviceTensor>[],
  rowCoeffs: Float64Array[],
  unit: number[],
  params: BasisParams,
  matrix: CoefficientMatrix,
): Promise<void> {
  const { stage } = at;
  const task = at.si === at.logitsIdx && at.labels;
  const gram = at.hook ? await be.featureProducts(ob, ob) : undefined;
  if (task) await accumulateTask(be, state, at.labels!, at.start, at.end, ob, [], matrix, []);
  for (let k = 0; k < rowCoeffs.length; k++) {
    const j = unit[k];
    let y: DeviceTensor;
    if (j >= 0 && xr[k] === xb[j] && params.othersFinite(stage, j)) {
      y = ob[j];
    } else if (at.si === 0 && stage.linearInParams) {
      y = (await be.combine(ob, rowCoeffs[k], 1))[0];
    } else {
      const [rowMap] = await combineStage(be, basisMaps, rowCoeffs[k], 1);
      try {
        y = await stage.run(be, xr[k], lookup(rowMap, stage));
      } finally {
        releaseMaps(be, [rowMap]);
      }
    }
    try {
      if (at.hook) await accumulateHook(be, state, stage.name, ob, [y], rowCoeffs, matrix, { rows: [k], gram });
      if (task) await accumulateTask(be, state, at.labels!, at.start, at.end, ob, [y], matrix, [k]);
    } finally {
      if (!ob.includes(y)) be.release(y);
    }
  }
}

async function accumulateHook(
  be: Backend,
  state: ScheduleState,
  hook: string,
  fb: DeviceTensor[],
  fr: DeviceTensor[],
  rowCoeffs: Float64Array[],
  matrix: CoefficientMatrix,
  /** fr holds the features of `rows` only (default: every row, in order); `gram`: the basis's own
   *  products, already computed (then the baseline is added by the call for rows[0] = 0 only) */
  part: { rows: readonly number[]; gram?: FeatureProducts[] } = { rows: fr.map((_, k) => k) },
): Promise<void> {
  // One pass over the features: ⟨F, B_j⟩ for every basis feature B_j, and ‖F‖², for the basis models
  // and every row with features of its own. The basis's own products are the per-sample Gram matrix
  // G_ij = ⟨B_i, B_j⟩; then for G = Σ_j c_j B_j, ⟨F, G⟩ = Σ_j c_j ⟨F, B_j⟩ and ‖G‖² = cᵀ G c.
  const m = fb.length;
  const own = [...new Set(fr.filter((t) => !fb.includes(t)))];
  const products = part.gram && own.length === 0 ? part.gram : part.gram ? [...part.gram, ...(await be.featureProducts(own, fb))] : await be.featureProducts([...fb, ...own], fb);
  const gram = products.slice(0, m);
  const n = gram[0].ff.length;
  const g = (s: number, i: number, j: number): number => gram[i].dots[s * m + j];
  const stats = (dot: (s: number) => number, ff: Float64Array, gg: (s: number) => number): FeatureStats => ({
    dot: Float64Array.from({ length: n }, (_, s) => dot(s)), ff, gg: Float64Array.from({ length: n }, (_, s) => gg(s)),
  });
  for (let r = 0; r < fr.length; r++) {
    const k = part.rows[r];
    const where = `${rowName(matrix, k)}, layer ${hook}`;
    const shared = fb.indexOf(fr[r]);
    const p = shared >= 0 ? gram[shared] : products[m + own.indexOf(fr[r])];
    const c = rowCoeffs[k];
    const dotC = (s: number): number => {
      let acc = 0;
      for (let j = 0; j < m; j++) acc += c[j] * p.dots[s * m + j];
      return acc;
    };
    const ggC = (s: number): number => {
      let acc = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) acc += c[i] * c[j] * g(s, i, j);
      return acc;
    };
    state.int[k].get(hook)!.add(stats(dotC, p.ff, ggC), where);
    if (state.vsA && state.vsB) {
      state.vsA[k].get(hook)!.add(stats((s) => p.dots[s * m], p.ff, (s) => g(s, 0, 0)), `${where} (vs A)`);
      state.vsB[k].get(hook)!.add(stats((s) => p.dots[s * m + 1], p.ff, (s) => g(s, 1, 1)), `${where} (vs B)`);
    }
  }
  if (state.baseline && (!part.gram || part.rows[0] === 0)) {
    state.baseline.get(hook)!.add(stats((s) => g(s, 0, 1), gram[0].ff, (s) => g(s, 1, 1)), `basis model A vs B, layer ${hook}`);
  }
}

async function accumulateTask(
  be: Backend,
  state: ScheduleState,
  labels: { data: Int32Array; shape: number[] },
  start: number,
  end: number,
  fb: DeviceTensor[],
  fr: DeviceTensor[],
  matrix: CoefficientMatrix,
  /** fr holds `rows` only; the basis and ensemble are accumulated when `rows` is empty (default: all rows and the basis) */
  rows?: readonly number[],
): Promise<void> {
  const per = labels.data.length / labels.shape[0];
  const chunkLabels = labels.data.subarray(start * per, end * per);
  const classes = checkLabelShape(fb[0].shape, [end - start, ...labels.shape.slice(1)], 'labels');
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
  state.ensembleTask?.add(meanLogits(basisLogits), chunkLabels, classes, 'labels vs ensemble logits');
}
