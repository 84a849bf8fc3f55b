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

/** A hook's fields, flat: several metrics (`--metric a,b`) as `<metric>.<name>`. */
function flat(fields: object | undefined): Record<string, unknown> {
  const f = (fields ?? {}) as Record<string, unknown> & { metrics?: Record<string, Record<string, unknown>> };
  if (!f.metrics) return f;
  const out: Record<string, unknown> = {};
  for (const [metric, values] of Object.entries(f.metrics)) for (const [k, v] of Object.entries(values)) out[`${metric}.${k}`] = v;
  return out;
}

/** Metric names beyond CSV_METRICS that the results hold (`--compare all`), in first-seen order. */
function extraMetrics(r: SweepResults): string[] {
  const known = new Set<string>(CSV_METRICS);
  const extra = new Set<string>();
  for (const layer of r.layers) {
    for (const k of Object.keys(flat(r.baseline?.[layer]))) if (!known.has(k)) extra.add(k);
    for (const row of r.rows) for (const k of Object.keys(flat(row.layers[layer]))) if (!known.has(k)) extra.add(k);
  }
  return [...extra];
}

/** One line per (row, layer) with the official sub_linearity.csv column names, then any others. */
export function resultsToCsv(r: SweepResults): string {
  const metrics = [...CSV_METRICS, ...extraMetrics(r)];
  // checkpoint rows: their name and checkpoint in two last columns (only then, so other CSVs keep their columns)
  const named = r.rows.some((row) => row.name !== undefined);
  const header = ['row', 'alpha', 'lambda', 'coefficients', 'layer', ...metrics, 'loss', 'accuracy', ...(named ? ['name', 'checkpoint'] : [])];
  const cell = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  const quoted = (s: string): string => `"${s.replaceAll('"', '""')}"`;
  const lines = [header.join(',')];
  r.rows.forEach((row, k) => {
    for (const layer of r.layers) {
      const m: Record<string, unknown> = { ...flat(r.baseline?.[layer]), ...flat(row.layers[layer]) };
      lines.push([k, cell(row.alpha), cell(row.lambda), quoted(row.coefficients.join(' ')), quoted(layer), ...metrics.map((c) => cell(m[c])), cell(row.loss), cell(row.accuracy),
        ...(named ? [row.name === undefined ? '' : quoted(row.name), row.checkpoint === undefined ? '' : quoted(row.checkpoint)] : [])].join(','));
    }
  });
  return lines.join('\n') + '\n';
}
