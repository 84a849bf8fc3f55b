// karcher: Riemannian (Karcher) mean of the unit directions with equal weights, scaled by the
// mean norm; fixed-point iteration u ← cos|T|·u + sin|T|·T/|T|, T = Σ a_i θ_i/sin θ_i (u_i − cos θ_i·u)
// (mergekit merge_methods/karcher.py karcher_merge_tensors).
import type { MergeMethod } from './types.js';
import { num } from './types.js';
import { dot, norm } from './vec.js';

export function karcherMean(tensors: Float32Array[], maxIter: number, tol: number): Float64Array {
  const n = tensors[0].length;
  const alphas = tensors.map(() => 1 / tensors.length);
  const norms = tensors.map(norm);
  const units = tensors.map((t, i) => (norms[i] === 0 ? new Float64Array(n) : Float64Array.from(t, (v) => v / norms[i])));
  const valid = norms.map((v, i) => i).filter((i) => norms[i] > tol);
  if (valid.length === 0) return new Float64Array(n);
  const asum = valid.reduce((s, i) => s + alphas[i], 0);
  const a = valid.map((i) => alphas[i] / asum);
  const us = valid.map((i) => units[i]);
  let u = new Float64Array(n);
  us.forEach((ui, j) => { for (let i = 0; i < n; i++) u[i] += a[j] * ui[i]; });
  const nu = norm(u);
  if (nu < tol) u = Float64Array.from(us[0]);
  else for (let i = 0; i < n; i++) u[i] /= nu;
  for (let it = 0; it < maxIter; it++) {
    const T = new Float64Array(n);
    us.forEach((ui, j) => {
      const c = Math.min(1, Math.max(-1, dot(u, ui)));
      const theta = Math.acos(c);
      if (theta < tol) return;
      const s = (a[j] * theta) / Math.sin(theta);
      for (let i = 0; i < n; i++) T[i] += s * (ui[i] - c * u[i]);
    });
    const nT = norm(T);
    if (nT < tol) break;
    const c = Math.cos(nT), s = Math.sin(nT) / nT;
    for (let i = 0; i < n; i++) u[i] = c * u[i] + s * T[i];
    const un = norm(u);
    if (un > tol) for (let i = 0; i < n; i++) u[i] /= un;
  }
  const scale = alphas.reduce((acc, al, i) => acc + al * norms[i], 0);
  for (let i = 0; i < n; i++) u[i] *= scale;
  return u;
}

export const karcher: MergeMethod = {
  name: 'karcher',
  base: 'optional',
  inputs: 'all',
  minInputs: 1,
  params: [
    { name: 'max_iter', kind: 'number', default: 10 },
    { name: 'tol', kind: 'number', default: 1e-5 },
  ],
  tensorParams: [],
  merge: (job) => (job.inputs.length === 1 ? Float64Array.from(job.inputs[0].data)
    : karcherMean(job.inputs.map((x) => x.data), num(job.global.max_iter, 'max_iter'), num(job.global.tol, 'tol'))),
  source: 'mergekit/merge_methods/karcher.py karcher_merge_tensors',
};
