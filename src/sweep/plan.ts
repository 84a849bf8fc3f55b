// What a sweep compares and reports, as data over the basis: per-row comparisons (the row's own
// combination, basis models), comparisons between basis combinations, and task reports. The matrix
// constructors (coefficients.ts) give each of today's modes its official outputs; the schedule and
// the results only read this plan.
import { basisTag, unitVector, type BasisComparison, type RowComparison } from '../metrics/comparisons.js';

export interface SweepPlan {
  /** Per row and hook. */
  rows: readonly RowComparison[];
  /** Per hook (results.json `baseline`). */
  basis: readonly BasisComparison[];
  /** With labels: report each basis model's loss and accuracy (results.json `basis`). */
  reportBasis?: boolean;
  /** With labels: loss and accuracy of the mean logits of these basis models (results.json `ensemble`). */
  ensemble?: readonly number[];
  /** With labels and per-row alphas: the loss/error barrier between basis models [α = 1 end, α = 0 end]. */
  barrier?: readonly [number, number];
}

/** F vs G for every row: the CTL comparison (dist_alpha_int, coef_alpha_int, …). */
export const OWN: RowComparison = { tag: 'alpha_int', against: 'own', fields: 'distCoefCos' };

/** The plan of a matrix without one of its own: the row's own comparison only. */
export const DEFAULT_PLAN: SweepPlan = { rows: [OWN], basis: [] };

/** Interpolation between basis models A and B: F vs A and vs B, A vs B, the barriers. */
export function interpolationPlan(): SweepPlan {
  const [a, b] = [unitVector(2, 0), unitVector(2, 1)];
  return {
    rows: [OWN, { tag: 'alpha_A', against: a, fields: 'dist' }, { tag: 'alpha_B', against: b, fields: 'dist' }],
    basis: [{ tag: 'A_B', left: a, right: b, fields: 'distCoef' }],
    barrier: [0, 1],
  };
}

/** Averaging M models: each model's and the logit ensemble's task metrics. */
export function averagingPlan(m: number): SweepPlan {
  return { rows: [OWN], basis: [], reportBasis: true, ensemble: Array.from({ length: m }, (_, j) => j) };
}

/** Every comparison for any matrix (`--compare all`): each row vs its own combination and vs each
 *  basis model, every pair of basis models, each model's task metrics. */
export function allComparisonsPlan(m: number): SweepPlan {
  const e = Array.from({ length: m }, (_, j) => unitVector(m, j));
  const pairs: BasisComparison[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) pairs.push({ tag: `${basisTag(i)}_${basisTag(j)}`, left: e[i], right: e[j], fields: 'distCoef' });
  }
  return {
    rows: [OWN, ...e.map((v, j): RowComparison => ({ tag: `alpha_${basisTag(j)}`, against: v, fields: 'distCoefCos' }))],
    basis: pairs,
    reportBasis: true,
  };
}
