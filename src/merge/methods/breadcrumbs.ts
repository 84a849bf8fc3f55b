// breadcrumbs / breadcrumbs_ties: drop the γ largest and the smallest magnitudes
// (mergekit registry.py "breadcrumbs", "breadcrumbs_ties"; sparsify.py magnitude_outliers, fixed for γ·n < 1).
import { gtaMethod, type Sparsifier } from './gta.js';
import { magnitudeOutliers } from './sparsify.js';
import { num } from './types.js';

const crumbs: Sparsifier = (d, job, j, rescale) => {
  const p = job.inputs[j].params;
  return magnitudeOutliers(d, num(p.density, 'density'), num(p.gamma, 'gamma'), rescale);
};
const gamma = [{ name: 'gamma', kind: 'number' as const, default: 0.01 }];
const source = 'mergekit/merge_methods/generalized_task_arithmetic.py GTATask.execute; mergekit/sparsify.py magnitude_outliers';
export const breadcrumbs = gtaMethod({ name: 'breadcrumbs', consensus: false, sparsify: crumbs, normalize: false, rescale: false, extraTensorParams: gamma, source });
export const breadcrumbsTies = gtaMethod({ name: 'breadcrumbs_ties', consensus: true, sparsify: crumbs, normalize: false, rescale: false, extraTensorParams: gamma, source });
