// della / della_linear: magnitude-ranked random drop (MagPrune), L1-rescaled by default
// (mergekit registry.py "della", "della_linear"; sparsify.py della_magprune). Seeded streams (rng.ts).
import { gtaMethod, type Sparsifier } from './gta.js';
import { dellaMagprune, streamKey } from './sparsify.js';
import { num } from './types.js';

const magprune: Sparsifier = (d, job, j, rescale) => {
  const x = job.inputs[j];
  return dellaMagprune(d, job.shape, num(x.params.density, 'density'), num(x.params.epsilon, 'epsilon'), rescale, streamKey(job.seed, job.name, x.index), `${job.name}`);
};
const epsilon = [{ name: 'epsilon', kind: 'number' as const, default: 0.15 }];
const source = 'mergekit/merge_methods/generalized_task_arithmetic.py GTATask.execute; mergekit/sparsify.py della_magprune';
export const della = gtaMethod({ name: 'della', consensus: true, sparsify: magprune, normalize: true, rescale: true, extraTensorParams: epsilon, random: true, source });
export const dellaLinear = gtaMethod({ name: 'della_linear', consensus: false, sparsify: magprune, normalize: false, rescale: true, extraTensorParams: epsilon, random: true, source });
