// nuslerp: slerp with t = w_1 / (w_0 + w_1) (0.5 when |Σw| < 1e-6), over the flattened tensor
// (default), its rows (last axis) or its columns (nuslerp_row_wise, axis 0); with a base model it
// interpolates the task vectors. Colinear (|sin θ| < 1e-8) → lerp (mergekit merge_methods/nuslerp.py nuslerp).
import type { MergeMethod } from './types.js';
import { num } from './types.js';

/** Interpolates each vector (count vectors of length len at stride `step`, vector v at offset(v)). */
function nuslerpInto(t: number, v0: ArrayLike<number>, v1: ArrayLike<number>, out: Float64Array, count: number, len: number, offset: (v: number) => number, step: number): void {
  for (let v = 0; v < count; v++) {
    const o = offset(v);
    let d = 0, a2 = 0, b2 = 0;
    for (let k = 0; k < len; k++) {
      const a = v0[o + k * step], b = v1[o + k * step];
      d += a * b; a2 += a * a; b2 += b * b;
    }
    const cos = Math.min(1, Math.max(-1, d / (Math.max(Math.sqrt(a2), 1e-7) * Math.max(Math.sqrt(b2), 1e-7))));
    const theta = Math.acos(cos);
    const sin = Math.sin(theta);
    const lin = Math.abs(sin) < 1e-8;
    const ca = lin ? 1 - t : Math.sin((1 - t) * theta) / sin;
    const cb = lin ? t : Math.sin(t * theta) / sin;
    for (let k = 0; k < len; k++) out[o + k * step] = ca * v0[o + k * step] + cb * v1[o + k * step];
  }
}

export const nuslerp: MergeMethod = {
  name: 'nuslerp',
  base: 'optional',
  inputs: 'others',
  minInputs: 2,
  maxInputs: 2,
  params: [
    { name: 'nuslerp_row_wise', kind: 'bool', default: false },
    { name: 'nuslerp_flatten', kind: 'bool', default: true },
  ],
  tensorParams: [{ name: 'weight', kind: 'number', required: true }],
  merge(job) {
    const [w0, w1] = job.inputs.map((x) => num(x.params.weight, `${job.name}: weight`));
    const t = Math.abs(w0 + w1) < 1e-6 ? 0.5 : w1 / (w0 + w1);
    const base = job.base;
    const rel = (x: Float32Array) => (base ? Float64Array.from(x, (v, i) => v - base[i]) : x);
    const v0 = rel(job.inputs[0].data), v1 = rel(job.inputs[1].data);
    const n = v0.length;
    const out = new Float64Array(n);
    const shape = job.shape;
    const last = shape.length ? shape[shape.length - 1] : 1;
    if (job.global.nuslerp_flatten === true || shape.length < 2) nuslerpInto(t, v0, v1, out, 1, n, () => 0, 1);
    else if (job.global.nuslerp_row_wise === true) {
      // vectors along axis 0: one per position of the remaining axes
      const rows = shape[0];
      nuslerpInto(t, v0, v1, out, n / rows, rows, (v) => v, n / rows);
    } else nuslerpInto(t, v0, v1, out, n / last, last, (v) => v * last, 1);
    if (base) for (let i = 0; i < n; i++) out[i] += base[i];
    return out;
  },
  source: 'mergekit/merge_methods/nuslerp.py NuSlerpTask.execute, nuslerp',
};
