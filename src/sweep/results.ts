// Turns the schedule's accumulators into results.json rows (official sub_linearity.csv names).
import type { SimilarityAccumulator } from '../metrics/similarity.js';
import { barrier } from '../metrics/task.js';
import { coefficientRow, type CoefficientMatrix } from './coefficients.js';
import type { ScheduleState } from './schedule.js';
import type { BaselineMetrics, RowLayerMetrics, SweepResults, SweepRow } from './types.js';

function rowLayer(int: SimilarityAccumulator, vsA?: SimilarityAccumulator, vsB?: SimilarityAccumulator): RowLayerMetrics {
  const s = int.summary();
  const out: RowLayerMetrics = {
    dist_alpha_int: s.dist,
    coef_alpha_int: s.coef,
    dist_alpha_int_over_samples_mean: s.distMean,
    dist_alpha_int_over_samples_std: s.distStd,
    coef_alpha_int_over_samples_mean: s.coefMean,
    coef_alpha_int_over_samples_std: s.coefStd,
    cos_alpha_int_over_samples_mean: s.cosMean,
  };
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

function baselineOf(acc: SimilarityAccumulator): BaselineMetrics {
  const s = acc.summary();
  return {
    dist_A_B: s.dist,
    coef_A_B: s.coef,
    dist_A_B_over_samples_mean: s.distMean,
    dist_A_B_over_samples_std: s.distStd,
    coef_A_B_over_samples_mean: s.coefMean,
    coef_A_B_over_samples_std: s.coefStd,
  };
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
    for (const l of layers) row.layers[l] = rowLayer(state.int[k].get(l)!, state.vsA?.[k].get(l), state.vsB?.[k].get(l));
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
  if (state.baseline) res.baseline = Object.fromEntries(layers.map((l) => [l, baselineOf(state.baseline!.get(l)!)]));
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
