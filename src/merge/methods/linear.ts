// linear: θ = Σ w_i θ_i, divided by Σ w_i when normalize (default true)
// (mergekit merge_methods/linear.py LinearMergeTask.execute).
import type { MergeMethod } from './types.js';
import { num } from './types.js';

export const linear: MergeMethod = {
  name: 'linear',
  base: 'unused',
  inputs: 'listed',
  minInputs: 1,
  params: [{ name: 'normalize', kind: 'bool', default: true }],
  tensorParams: [{ name: 'weight', kind: 'number', required: true }],
  merge(job) {
    const w = job.inputs.map((x) => num(x.params.weight, `${job.name}: weight`));
    const out = new Float64Array(job.inputs[0].data.length);
    job.inputs.forEach((x, j) => {
      for (let i = 0; i < out.length; i++) out[i] += w[j] * x.data[i];
    });
    if (job.global.normalize === true) {
      const s = w.reduce((a, b) => a + b, 0);
      for (let i = 0; i < out.length; i++) out[i] /= s;
    }
    return out;
  },
  source: 'mergekit/merge_methods/linear.py LinearMergeTask.execute',
};
