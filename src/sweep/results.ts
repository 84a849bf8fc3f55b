// Turns the schedule's accumulators into results.json rows (official sub_linearity.csv names), one
// group of fields per comparison of the plan, in the plan's order.
import type { ComparisonFields } from '../metrics/comparisons.js';
import type { MetricName } from '../metrics/metric_names.js';
import type { SimilarityAccumulator, SimilaritySummary } from '../metrics/similarity.js';
import { barrier } from '../metrics/task.js';
import { coefficientRow, type CoefficientMatrix } from './coefficients.js';
import type { ScheduleState } from './schedule.js';
import type { BaselineMetrics, RowLayerMetrics, SweepResults, SweepRow } from './types.js';

type Fields = Record<string, number | null>;

/** dist_<tag>, coef_<tag> and their `_over_samples_mean` / `_std` (official sub_linearity.csv names). */
function distCoef(tag: string, s: SimilaritySummary): Fields {
  return {
    [`dist_${tag}`]: s.dist,
    [`coef_${tag}`]: s.coef,
    [`dist_${tag}_over_samples_mean`]: s.distMean,
    [`dist_${tag}_over_samples_std`]: s.distStd,
    [`coef_${tag}_over_samples_mean`]: s.coefMean,
    [`coef_${tag}_over_samples_std`]: s.coefStd,
  };
}

/** The fields of several comparisons at one hook. Dist-only comparisons (the released code's
 *  dist_alpha_A, dist_alpha_B) list their whole-set values first, then their per-sample ones. */
export function comparisonFields(items: readonly { tag: string; fields: ComparisonFields; acc: SimilarityAccumulator }[]): Fields {
  const out: Fields = {};
  const distOnly: { tag: string; s: SimilaritySummary }[] = [];
  for (const { tag, fields, acc } of items) {
    const s = acc.summary();
    if (fields === 'dist') distOnly.push({ tag, s });
    else Object.assign(out, distCoef(tag, s), fields === 'distCoefCos' ? { [`cos_${tag}_over_samples_mean`]: s.cosMean } : {});
  }
  for (const { tag, s } of distOnly) out[`dist_${tag}`] = s.dist;
  for (const { tag, s } of distOnly) Object.assign(out, { [`dist_${tag}_over_samples_mean`]: s.distMean, [`dist_${tag}_over_samples_std`]: s.distStd });
  return out;
}

/** `--metric`: one metric's fields in place of the cosine ones, or several under `metrics[<name>]`
 *  (row k, or the basis comparisons when k is null); without --metric the cosine fields unchanged. */
function withMetrics(state: ScheduleState, cosine: Fields, hook: string, k: number | null): Fields | { metrics: Record<string, Fields> } {
  const ms = state.metrics;
  if (!ms) return cosine;
  const of = (name: MetricName): Fields => (name === 'cosine' ? cosine : ms.set.fields(name, hook, k, ms.rowCoeffs));
  if (ms.names.length === 1) return of(ms.names[0]);
  return { metrics: Object.fromEntries(ms.names.map((name) => [name, of(name)])) };
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
  const { plan } = state;
  const rows: SweepRow[] = [];
  for (let k = 0; k < matrix.k; k++) {
    const own = matrix.checkpoints?.[k];
    const row: SweepRow = { ...(own ? { name: own.name, checkpoint: own.path } : {}), coefficients: coefficientRow(matrix, k), layers: {} };
    // a checkpoint row's α / λ is the one its target was given as (NaN: given as coefficients)
    if (matrix.alphas && Number.isFinite(matrix.alphas[k])) row.alpha = matrix.alphas[k];
    if (matrix.lambdas && Number.isFinite(matrix.lambdas[k])) row.lambda = matrix.lambdas[k];
    if (state.rowTask) Object.assign(row, state.rowTask[k].result());
    for (const l of layers) {
      const items = plan.rows.map((cmp, i) => ({ tag: cmp.tag, fields: cmp.fields, acc: state.rows[k][i].get(l)! }));
      row.layers[l] = withMetrics(state, comparisonFields(items), l, k) as unknown as RowLayerMetrics;
    }
    rows.push(row);
  }
  const res: SweepResults = {
    architecture: ctx.architecture,
    mode: matrix.mode,
    ...(state.metrics ? (state.metrics.names.length === 1 ? { metric: state.metrics.names[0] } : { metrics: [...state.metrics.names] }) : {}),
    models: [...matrix.basis],
    layers: [...layers],
    samples: ctx.samples,
    backend: ctx.backend,
    rows,
    peak_rss_bytes: ctx.peakRssBytes,
    elapsed_seconds: ctx.elapsedSeconds,
  };
  if (plan.basis.length > 0) {
    res.baseline = Object.fromEntries(layers.map((l) => [l, withMetrics(state, comparisonFields(plan.basis.map((cmp, i) => ({ tag: cmp.tag, fields: cmp.fields, acc: state.basis[i].get(l)! }))), l, null) as unknown as BaselineMetrics]));
  }
  if (state.basisTask) {
    const basis = state.basisTask.map((t) => t.result());
    // the barrier is along the linear path: the checkpoint rows are not on it
    const path = rows.map((_, k) => k).filter((k) => !matrix.checkpoints?.[k]);
    if (plan.barrier && matrix.alphas && path.length > 0) {
      const [a, b] = plan.barrier.map((j) => basis[j]);
      const alphas = path.map((k) => matrix.alphas![k]);
      res.barrier = {
        loss: barrier(alphas, path.map((k) => rows[k].loss!), a.loss, b.loss),
        error: barrier(alphas, path.map((k) => 1 - rows[k].accuracy!), 1 - a.accuracy, 1 - b.accuracy),
      };
    }
    if (plan.reportBasis) res.basis = basis;
    if (state.ensembleTask) res.ensemble = state.ensembleTask.result();
  }
  return res;
}
