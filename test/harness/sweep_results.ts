// Small hand-built SweepResults for report tests (shape of results.json, values from simple formulas).
import type { RowLayerMetrics, SweepResults } from '../../src/sweep/types.js';

/** An interpolation sweep over `alphas` and `layers`; `scale` sets how far from linear the layers are. */
export function fakeInterpolation(layers: string[], alphas: number[], scale = 0.1): SweepResults {
  const metrics = (l: number, a: number): RowLayerMetrics => {
    const dist = scale * (l + 1) * a * (1 - a);
    return {
      dist_alpha_int: dist,
      coef_alpha_int: 1 - dist / 2,
      dist_alpha_int_over_samples_mean: dist * 1.1,
      dist_alpha_int_over_samples_std: dist / 3,
      coef_alpha_int_over_samples_mean: 1 - dist / 2,
      coef_alpha_int_over_samples_std: dist / 4,
      cos_alpha_int_over_samples_mean: 1 - dist,
    };
  };
  const loss = (a: number): number => 0.2 + 2 * a * (1 - a) + 0.05 * a;
  const acc = (a: number): number => 0.97 - 1.2 * a * (1 - a);
  return {
    architecture: 'mlp',
    mode: 'interpolate',
    models: ['ft_a.safetensors', 'ft_b.safetensors'],
    layers,
    samples: 64,
    backend: 'reference',
    rows: alphas.map((alpha) => ({
      coefficients: [alpha, 1 - alpha],
      alpha,
      loss: loss(alpha),
      accuracy: acc(alpha),
      layers: Object.fromEntries(layers.map((name, l) => [name, metrics(l, alpha)])),
    })),
    baseline: Object.fromEntries(
      layers.map((name, l) => [
        name,
        { dist_A_B: 0.3 + 0.1 * l, coef_A_B: 0.8, dist_A_B_over_samples_mean: 0.3, dist_A_B_over_samples_std: 0.1, coef_A_B_over_samples_mean: 0.8, coef_A_B_over_samples_std: 0.1 },
      ]),
    ),
    barrier: { loss: { midpoint: 0.475, weighted: 0.5 }, error: { midpoint: 0.3, weighted: 0.3 } },
    peak_rss_bytes: 1e8,
    elapsed_seconds: 1,
  };
}

/** A finetuned-like pair (close to linear) and a control pair (far from it), as the report compares them. */
export function fakeComparison(layers: string[], alphas: number[]): { label: string; results: SweepResults }[] {
  return [
    { label: 'finetuned', results: fakeInterpolation(layers, alphas, 0.1) },
    { label: 'control', results: fakeInterpolation(layers, alphas, 0.5) },
  ];
}
