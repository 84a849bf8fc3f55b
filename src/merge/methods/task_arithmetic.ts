// task_arithmetic: θ_base + λ Σ w_i (θ_i − θ_base), no sparsification, normalize off by default
// (mergekit merge_methods/registry.py "task_arithmetic" → GeneralizedTaskArithmeticMerge).
import { gtaMethod } from './gta.js';

export const taskArithmetic = gtaMethod({
  name: 'task_arithmetic', consensus: false, sparsify: null, normalize: false, rescale: false,
  source: 'mergekit/merge_methods/generalized_task_arithmetic.py GTATask.execute',
});
