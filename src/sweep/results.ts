// Turns the schedule's accumulators into results.json rows (official sub_linearity.csv names).
import type { SimilarityAccumulator, SimilaritySummary } from '../metrics/similarity.js';
import { barrier } from '../metrics/task.js';
import { coefficientRow, type CoefficientMatrix } from './coefficients.js';
import type { ScheduleState } from './schedule.js';
import type { RowLayerMetrics, SweepResults, SweepRow } from './types.js';

/** dist_<tag>, coef_<tag> and their `_over_samples_mean` / `_std` (official sub_linearity.csv names). */
function distCoef<T extends string>(tag: T, s: SimilaritySummary) {
  return {
    [`dist_${tag}`]: s.dist,
    [`coef_${tag}`]: s.coef,
    [`dist_${tag}_over_samples_mean`]: s.distMean,
    [`dist_${tag}_over_samples_std`]: s.distStd,
    [`coef_${tag}_over_samples_mean`]: s.coefMean,
    [`coef_${tag}_over_samples_std`]: s.coefStd,
  } as Record<`${'dist' | 'coef'}_${T}${'' | '_over_samples_mean'}`, number> & Record<`${'dist' | 'coef'}_${T}_over_samples_std`, number | null>;
}

/** One row's metrics at one hook: F vs G (`int`), and in interpolate mode F vs f(θ_A), F vs f(θ_B). */
export function rowLayerMetrics(int: SimilarityAccumulator, vsA?: SimilarityAccumulator, vsB?: SimilarityAccumulator): RowLayerMetrics {
  const s = int.summary();
  const out: RowLayerMetrics = { ...distCoef('alpha_int', s), cos_alpha_int_over_samples_mean: s.cosMean };
  if (vsA && vsB) {
    const a = vsA.summary();
    const b = vsB.summary();
    Object.assign(out, {
      dist_alpha_A: a.dist,
      dist_alpha_B: b.dist,
      dist_alpha_A_over_samples_mean: a.distMean,
      dist_alpha_A_over_samples_std: a.distStd,
      dist_alpha_B_over_samples_mean: b.distMean,
      dist_alpha_B_over_samples_std: b.distStd,
    });
  }
  return out;
}

export interface ResultsContext {
  architecture: string;
  matrix: CoefficientMatrix;
  layers: string[];
  samples: number;
  backend: string;
  peakRssBytes: number;
  elapsedSeconds: number;
}

export function buildResults(state: ScheduleState, ctx: ResultsContext): SweepResults {
  const { matrix, layers } = ctx;
  const rows: SweepRow[] = [];
  for (let k = 0; k < matrix.k; k++) {
    const row: SweepRow = { coefficients: coefficientRow(matrix, k), layers: {} };
    if (matrix.alphas) row.alpha = matrix.alphas[k];
    if (matrix.lambdas) row.lambda = matrix.lambdas[k];
    if (state.rowTask) Object.assign(row, state.rowTask[k].result());
    for (const l of layers) row.layers[l] = rowLayerMetrics(state.int[k].get(l)!, state.vsA?.[k].get(l), state.vsB?.[k].get(l));
    rows.push(row);
  }
  const res: SweepResults = {
    architecture: ctx.architecture,
    mode: matrix.mode,
    models: [...matrix.basis],
    layers: [...layers],
    samples: ctx.samples,
    backend: ctx.backend,
    rows,
    peak_rss_bytes: ctx.peakRssBytes,
    elapsed_seconds: ctx.elapsedSeconds,
  };
  if (state.baseline) res.baseline = Object.fromEntries(layers.map((l) => [l, distCoef('A_B', state.baseline!.get(l)!.summary())]));
  if (state.basisTask) {
    const basis = state.basisTask.map((t) => t.result());
    if (matrix.mode === 'interpolate' && matrix.alphas) {
      const [a, b] = basis;
      res.barrier = {
        loss: barrier(matrix.alphas, rows.map((r) => r.loss!), a.loss, b.loss),
        error: barrier(matrix.alphas, rows.map((r) => 1 - r.accuracy!), 1 - a.accuracy, 1 - b.accuracy),
      };
    }
    if (matrix.mode === 'average') {
      res.basis = basis;
      res.ensemble = state.ensembleTask!.result();
    }
  }
  return res;
}
