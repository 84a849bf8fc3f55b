// Weight combination Out_k = Σ_j C[k,j] · basis_j and the metric reductions featureStats
// (⟨F_n,G_n⟩, ‖F_n‖², ‖G_n‖² with G = Σ_j c_j basis_j on the fly) and featureProducts (⟨F_n, basis_j⟩
// for all j, ‖F_n‖²): memory-bound, so GB/s
// counting the bytes read plus written, against the measured copy bandwidth.
import { randn, sh, TOL, type OpCase } from '../test/harness/case_kit.js';
import { makeRng, seedOf } from '../test/harness/rng.js';
import type { BenchCase } from './harness.js';

function coefficients(vars: string, n: number): Float64Array {
  const rng = makeRng(seedOf(`${vars}:coefficients`));
  return Float64Array.from({ length: n }, () => rng.uniform(-1.5, 1.5));
}

function combine(numel: number, k: number, m: number): OpCase {
  const vars = `combine(shape=${sh([numel])},K=${k},M=${m})`;
  const c = coefficients(vars, k * m);
  return {
    op: 'combine',
    vars: () => vars,
    make: (rng) => Array.from({ length: m }, () => randn(rng, [numel])),
    run: (be, basis) => be.combine(basis, c, k),
    tol: TOL.elementwise,
    bytes: 4 * numel * (m + k),
  };
}

function featureStats(shape: number[], m: number): OpCase {
  const vars = `featureStats(f=${sh(shape)},M=${m})`;
  const c = coefficients(vars, m);
  return {
    op: 'featureStats',
    vars: () => vars,
    make: (rng) => Array.from({ length: m + 1 }, () => randn(rng, shape)),
    run: (be, [f, ...basis]) => be.featureStats(f, basis, c),
    tol: TOL.stats,
    bytes: 4 * shape.reduce((p, d) => p * d, 1) * (m + 1),
  };
}

// one pass: ⟨F_n, basis_j[n]⟩ for every j and ‖F_n‖², for nf feature tensors (the sweep's hook: the
// basis models and the rows)
function featureProducts(shape: number[], nf: number, m: number): OpCase {
  return {
    op: 'featureProducts',
    vars: () => `featureProducts(f=${sh(shape)},F=${nf},M=${m})`,
    make: (rng) => Array.from({ length: nf + m }, () => randn(rng, shape)),
    run: (be, inputs) => be.featureProducts(inputs.slice(0, nf), inputs.slice(nf)),
    tol: TOL.stats,
    bytes: 4 * shape.reduce((p, d) => p * d, 1) * (m + nf),
  };
}

const comb = (label: string, numel: number, k: number, m: number, quick: boolean, onReference = false): BenchCase => ({
  area: 'combine', label, op: combine(numel, k, m), torch: { kind: 'combine', numel, k, m }, onReference, quick,
});
const stats = (label: string, shape: number[], m: number, quick: boolean, onReference = false): BenchCase => ({
  area: 'combine', label, op: featureStats(shape, m), onReference, quick,
});

export const combineCases: readonly BenchCase[] = [
  comb('small', 4096, 3, 2, true, true),
  comb('11 α rows from 2 models (512×512×3×3)', 512 * 512 * 9, 11, 2, true),
  comb('merge: 1 row from 2 models, 16M weights', 1 << 24, 1, 2, true),
  comb('task arithmetic: 3 rows from 3 models, 4M weights', 1 << 22, 3, 3, false),
  stats('featureStats, small', [4, 1024], 2, true, true),
  stats('featureStats: ResNet-18 layer1 hook, 32 samples, 2 basis', [32, 64, 32, 32], 2, true),
  { area: 'combine', label: 'featureProducts: ResNet-18 layer1 hook, 32 samples, 2 basis + 9 rows', op: featureProducts([32, 64, 32, 32], 11, 2), onReference: false, quick: true },
];
