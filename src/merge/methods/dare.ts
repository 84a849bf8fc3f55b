// dare_linear / dare_ties: random drop with keep probability density, L1-rescaled by default
// (mergekit registry.py "dare_linear", "dare_ties"; sparsify.py bernoulli). Seeded streams (rng.ts).
import { gtaMethod, type Sparsifier } from './gta.js';
import { bernoulli, streamKey } from './sparsify.js';
import { num } from './types.js';

const drop: Sparsifier = (d, job, j, rescale) =>
  bernoulli(d, num(job.inputs[j].params.density, 'density'), rescale, streamKey(job.seed, job.name, job.inputs[j].index));

const source = 'mergekit/merge_methods/generalized_task_arithmetic.py GTATask.execute; mergekit/sparsify.py bernoulli';
export const dareLinear = gtaMethod({ name: 'dare_linear', consensus: false, sparsify: drop, normalize: false, rescale: true, random: true, source });
export const dareTies = gtaMethod({ name: 'dare_ties', consensus: true, sparsify: drop, normalize: false, rescale: true, random: true, source });
