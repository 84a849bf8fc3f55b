// nearswap: w = clamp(t / max(|a − b|, 1e-6), 0, 1); θ = w·b + (1 − w)·a, a = base, b = the other
// (mergekit merge_methods/nearswap.py nearswap_merge).
import type { MergeMethod } from './types.js';
import { num } from './types.js';

export const nearswap: MergeMethod = {
  name: 'nearswap',
  base: 'required',
  inputs: 'others',
  minInputs: 1,
  maxInputs: 1,
  params: [{ name: 't', kind: 'number', required: true }],
  tensorParams: [],
  merge(job) {
    const a = job.base!, b = job.inputs[0].data;
    const t = num(job.global.t, `${job.name}: t`);
    return Float64Array.from(a, (av, i) => {
      const w = Math.min(1, Math.max(0, t / Math.max(Math.abs(av - b[i]), 1e-6)));
      return w * b[i] + (1 - w) * av;
    });
  },
  source: 'mergekit/merge_methods/nearswap.py nearswap_merge',
};
