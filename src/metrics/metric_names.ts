// The dissimilarities of the paper's released code (zzp1012/Cross-Task-Linearity,
// task_arithemetic/src/utils/dissimilarity.py, DissimilarityMetric and DissimilarityMetricOverSamples)
// by their `--metric` names, and what each reports.
export const METRIC_NAMES = ['cosine', 'vanilla', 'abs_div', 'lin_cka', 'lin_cka_prime', 'procrustes'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Per-sample values exist (DissimilarityMetricOverSamples has the metric): cosine, vanilla, abs_div. */
export function hasOverSamples(m: MetricName): boolean {
  return m === 'cosine' || m === 'vanilla' || m === 'abs_div';
}

/** Pooled over the whole N × D feature matrix (centred N × N Gram matrices). */
export function isPooled(m: MetricName): boolean {
  return m === 'lin_cka' || m === 'lin_cka_prime' || m === 'procrustes';
}

/** A comma list of metric names, each once, in the given order. */
export function parseMetrics(s: string, flag = '--metric'): MetricName[] {
  const out: MetricName[] = [];
  for (const part of s.split(',').map((p) => p.trim())) {
    if (!(METRIC_NAMES as readonly string[]).includes(part)) {
      throw new Error(`${flag}: unknown metric '${part}' (expected a comma list of ${METRIC_NAMES.join(', ')})`);
    }
    if (out.includes(part as MetricName)) throw new Error(`${flag}: metric '${part}' given twice`);
    out.push(part as MetricName);
  }
  return out;
}
