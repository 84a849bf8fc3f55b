// Weight combination Out_k = Σ_j C[k,j] · basis_j and the metric reductions featureStats
// (⟨F_n,G_n⟩, ‖F_n‖², ‖G_n‖² with G = Σ_j c_j basis_j on the fly) and featureProducts (⟨F_n, basis_j⟩
// for all j, ‖F_n‖²): memory-bound, so GB/s
// counting the bytes read plus written, against the measured copy bandwidth.
import { combineOp } from '../test/harness/cases_combine.js';
import { productsOp, statsOp } from '../test/harness/cases_feature_stats.js';
import type { BenchCase } from './harness.js';

const comb = (label: string, numel: number, k: number, m: number, quick: boolean, onReference = false): BenchCase => ({
  area: 'combine', label, op: combineOp([numel], k, m), torch: { kind: 'combine', numel, k, m }, onReference, quick,
});
const stats = (label: string, shape: number[], m: number, quick: boolean, onReference = false): BenchCase => ({
  area: 'combine', label, op: statsOp(shape, m), onReference, quick,
});

export const combineCases: readonly BenchCase[] = [
  comb('small', 4096, 3, 2, true, true),
  comb('11 α rows from 2 models (512×512×3×3)', 512 * 512 * 9, 11, 2, true),
  comb('merge: 1 row from 2 models, 16M weights', 1 << 24, 1, 2, true),
  comb('task arithmetic: 3 rows from 3 models, 4M weights', 1 << 22, 3, 3, false),
  stats('featureStats, small', [4, 1024], 2, true, true),
  stats('featureStats: ResNet-18 layer1 hook, 32 samples, 2 basis', [32, 64, 32, 32], 2, true),
  { area: 'combine', label: 'featureProducts: ResNet-18 layer1 hook, 32 samples, 2 basis + 9 rows', op: productsOp([32, 64, 32, 32], 11, 2), onReference: false, quick: true },
];
