// slerp: spherical interpolation from the base (t = 0) to the other model (t = 1) on the flattened
// tensor; |cos| > 0.9995 falls back to lerp (mergekit merge_methods/slerp.py slerp, normalize).
import type { MergeMethod } from './types.js';
import { num } from './types.js';
import { dot, norm } from './vec.js';

export function slerpVectors(t: number, v0: ArrayLike<number>, v1: ArrayLike<number>): Float64Array {
  const n0 = norm(v0);
  const n1 = norm(v1);
  const s0n = n0 > 1e-8 ? n0 : 1;
  const s1n = n1 > 1e-8 ? n1 : 1;
  const cos = dot(v0, v1) / (s0n * s1n);
  const out = new Float64Array(v0.length);
  let a = 1 - t;
  let b = t;
  if (Math.abs(cos) <= 0.9995) {
    const theta = Math.acos(cos);
    const sin = Math.sin(theta);
    a = Math.sin(theta - theta * t) / sin;
    b = Math.sin(theta * t) / sin;
  }
  for (let i = 0; i < out.length; i++) out[i] = a * v0[i] + b * v1[i];
  return out;
}

export const slerp: MergeMethod = {
  name: 'slerp',
  base: 'required',
  inputs: 'others',
  minInputs: 1,
  maxInputs: 1,
  params: [{ name: 't', kind: 'number', required: true }],
  tensorParams: [],
  merge: (job) => slerpVectors(num(job.global.t, `${job.name}: t`), job.base!, job.inputs[0].data),
  source: 'mergekit/merge_methods/slerp.py slerp',
};
