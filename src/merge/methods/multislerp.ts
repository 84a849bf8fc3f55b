// multislerp: barycentric interpolation on the hypersphere: unit vectors (norm + eps), weighted
// mean direction μ, tangent vectors u_i − (u_i·μ)μ, exponential map back, scaled by Σ w_i |θ_i|;
// relative to the base when one is given (mergekit merge_methods/multislerp.py multislerp).
import type { MergeMethod } from './types.js';
import { num } from './types.js';

export const multislerp: MergeMethod = {
  name: 'multislerp',
  base: 'optional',
  inputs: 'others',
  minInputs: 1,
  params: [
    { name: 'normalize_weights', kind: 'bool', default: true },
    { name: 'eps', kind: 'number', default: 1e-8 },
  ],
  tensorParams: [{ name: 'weight', kind: 'number', required: true }],
  merge(job) {
    const base = job.base;
    if (job.inputs.length === 1) return Float64Array.from(job.inputs[0].data);
    const eps = num(job.global.eps, 'eps');
    const xs = job.inputs.map((x) => Float64Array.from(x.data, (v, i) => (base ? v - base[i] : v)));
    let w = job.inputs.map((x) => num(x.params.weight, `${job.name}: weight`));
    if (job.global.normalize_weights === true) {
      const s = w.reduce((a, b) => a + b, 0);
      w = w.map((v) => v / s);
    }
    const n = xs[0].length;
    const norms = xs.map((x) => Math.sqrt(x.reduce((s, v) => s + v * v, 0)));
    const units = xs.map((x, j) => x.map((v) => v / (norms[j] + eps)));
    const mean = new Float64Array(n);
    units.forEach((u, j) => { for (let i = 0; i < n; i++) mean[i] += w[j] * u[i]; });
    const mn = Math.sqrt(mean.reduce((s, v) => s + v * v, 0));
    const out = new Float64Array(n);
    if (mn < eps) {
      if (xs.length !== 2) throw new Error(`${job.name}: multislerp: the weighted sum of the unit inputs is zero (antipodal inputs with balancing weights)`);
      for (let i = 0; i < n; i++) out[i] = xs[0][i] * w[0] + xs[1][i] * w[1] + (base ? base[i] : 0);
      return out;
    }
    for (let i = 0; i < n; i++) mean[i] /= mn;
    const tangent = new Float64Array(n);
    units.forEach((u, j) => {
      let d = 0;
      for (let i = 0; i < n; i++) d += u[i] * mean[i];
      for (let i = 0; i < n; i++) tangent[i] += w[j] * (u[i] - d * mean[i]);
    });
    const tn = Math.sqrt(tangent.reduce((s, v) => s + v * v, 0)) + eps;
    const avgNorm = norms.reduce((s, v, j) => s + v * w[j], 0);
    const c = Math.cos(tn), s = Math.sin(tn) / tn;
    for (let i = 0; i < n; i++) out[i] = (mean[i] * c + tangent[i] * s) * avgNorm + (base ? base[i] : 0);
    return out;
  },
  source: 'mergekit/merge_methods/multislerp.py multislerp',
};
