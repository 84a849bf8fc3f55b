// ties: trim to the top-density magnitudes, elect signs, disjoint mean (normalize on by default)
// (mergekit registry.py "ties": consensus sum + sparsify.py magnitude).
import { gtaMethod } from './gta.js';
import { magnitude } from './sparsify.js';
import { num } from './types.js';

export const ties = gtaMethod({
  name: 'ties', consensus: true, normalize: true, rescale: false,
  sparsify: (d, job, j, rescale) => magnitude(d, num(job.inputs[j].params.density, 'density'), rescale),
  source: 'mergekit/merge_methods/generalized_task_arithmetic.py GTATask.execute, get_mask; mergekit/sparsify.py magnitude',
});
