// results.json → CSV: one line per (row, layer) with the official sub_linearity.csv column names
// (baseline values repeated on each row's line).
import type { SweepResults } from './types.js';

export const CSV_METRICS = [
  'dist_A_B', 'coef_A_B', 'dist_A_B_over_samples_mean', 'dist_A_B_over_samples_std', 'coef_A_B_over_samples_mean', 'coef_A_B_over_samples_std',
  'dist_alpha_A', 'dist_alpha_A_over_samples_mean', 'dist_alpha_A_over_samples_std',
  'dist_alpha_B', 'dist_alpha_B_over_samples_mean', 'dist_alpha_B_over_samples_std',
  'dist_alpha_int', 'coef_alpha_int', 'dist_alpha_int_over_samples_mean', 'dist_alpha_int_over_samples_std',
  'coef_alpha_int_over_samples_mean', 'coef_alpha_int_over_samples_std', 'cos_alpha_int_over_samples_mean',
] as const;

/** One line per (row, layer) with the official sub_linearity.csv column names. */
export function resultsToCsv(r: SweepResults): string {
  const header = ['row', 'alpha', 'lambda', 'coefficients', 'layer', ...CSV_METRICS, 'loss', 'accuracy'];
  const cell = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  const quoted = (s: string): string => `"${s.replaceAll('"', '""')}"`;
  const lines = [header.join(',')];
  r.rows.forEach((row, k) => {
    for (const layer of r.layers) {
      const m: Record<string, unknown> = { ...r.baseline?.[layer], ...row.layers[layer] };
      lines.push([k, cell(row.alpha), cell(row.lambda), quoted(row.coefficients.join(' ')), quoted(layer), ...CSV_METRICS.map((c) => cell(m[c])), cell(row.loss), cell(row.accuracy)].join(','));
    }
  });
  return lines.join('\n') + '\n';
}
