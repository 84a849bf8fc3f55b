// The sweep's inputs and results.json (documented in the README). Names follow the paper's released
// code (sub_linearity.csv) so results line up with published CSVs.
import type { Barrier } from '../metrics/task.js';

export type { Barrier } from '../metrics/task.js';

export type SweepMode = 'interpolate' | 'average' | 'task-arithmetic' | 'negate' | 'coefficients';

/** Metrics of one row at one hook. F = f_ℓ(θ_k), G = Σ_j C[k,j] f_ℓ(θ_j). */
export interface RowLayerMetrics {
  /** 1 − |⟨F,G⟩| / (‖F‖‖G‖) over the whole N×D matrix */
  dist_alpha_int: number;
  /** ⟨F,G⟩ / ‖G‖² over the whole matrix */
  coef_alpha_int: number;
  dist_alpha_int_over_samples_mean: number;
  /** unbiased (n−1); null when fewer than 2 samples */
  dist_alpha_int_over_samples_std: number | null;
  coef_alpha_int_over_samples_mean: number;
  coef_alpha_int_over_samples_std: number | null;
  /** mean over samples of the signed cosine ⟨F_n,G_n⟩/(‖F_n‖‖G_n‖) */
  cos_alpha_int_over_samples_mean: number;
  /** interpolate mode only: α-model vs A and vs B (F vs f(θ_A), F vs f(θ_B)) */
  dist_alpha_A?: number;
  dist_alpha_B?: number;
  dist_alpha_A_over_samples_mean?: number;
  dist_alpha_A_over_samples_std?: number | null;
  dist_alpha_B_over_samples_mean?: number;
  dist_alpha_B_over_samples_std?: number | null;
}

/** interpolate mode: A vs B, per hook. */
export interface BaselineMetrics {
  dist_A_B: number;
  coef_A_B: number;
  dist_A_B_over_samples_mean: number;
  dist_A_B_over_samples_std: number | null;
  coef_A_B_over_samples_mean: number;
  coef_A_B_over_samples_std: number | null;
}

export interface SweepRow {
  /** A linear row's weights Σ_j c_j θ_j; a checkpoint row's comparison target Σ_j c_j f(θ_j). */
  coefficients: number[];
  /** A checkpoint row (its weights read from `checkpoint`): its name. */
  name?: string;
  checkpoint?: string;
  alpha?: number;
  lambda?: number;
  /** mean cross-entropy (natural log) over samples, with labels */
  loss?: number;
  accuracy?: number;
  layers: Record<string, RowLayerMetrics>;
}


export interface SweepResults {
  architecture: string;
  mode: SweepMode;
  /** `--metric` with one metric: its name (layers hold its fields under the released names) */
  metric?: string;
  /** `--metric` with several: their names (layers[hook].metrics[<name>] hold each one's fields) */
  metrics?: string[];
  models: string[];
  layers: string[];
  samples: number;
  backend: string;
  /** `--compute bf16`: the native backend's GEMMs rounded their inputs to BF16 (absent: float32) */
  compute?: 'bf16';
  rows: SweepRow[];
  baseline?: Record<string, BaselineMetrics>;
  /** interpolate mode with labels; error = 1 − accuracy */
  barrier?: { loss: Barrier; error: Barrier };
  /** average mode with labels: per basis model and for the logit ensemble (mean of logits) */
  ensemble?: { loss: number; accuracy: number };
  basis?: { loss: number; accuracy: number }[];
  peak_rss_bytes: number;
  elapsed_seconds: number;
}
