// passthrough: copies its one input tensor, times the per-model `scale` when set
// (mergekit merge_methods/passthrough.py PassthroughMergeTask.execute).
import type { MergeMethod } from './types.js';

export const passthrough: MergeMethod = {
  name: 'passthrough',
  base: 'unused',
  inputs: 'listed',
  minInputs: 1,
  maxInputs: 1,
  params: [],
  tensorParams: [{ name: 'scale', kind: 'number' }],
  merge(job) {
    const x = job.inputs[0];
    const s = x.params.scale;
    return Float64Array.from(x.data, (v) => (typeof s === 'number' ? v * s : v));
  },
  source: 'mergekit/merge_methods/passthrough.py PassthroughMergeTask.execute',
};
