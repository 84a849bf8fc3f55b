// Op cases for the feature_stats family: featureStats, featureProducts.
import { nonfinite, randn, sh, TOL, type OpCase } from './case_kit.js';
import { basisOf, coefficients } from './cases_combine.js';

const list: OpCase[] = [];

// dot_n = ⟨F_n, G_n⟩, ff_n = ‖F_n‖², gg_n = ‖G_n‖² with G = Σ_j c[j] · basis_j
export function statsOp(shape: number[], m: number, special = false): OpCase {
  const vars = `featureStats(f=${sh(shape)},M=${m}${special ? ',nonfinite' : ''})`;
  const c = coefficients(vars, 1, m);
  return {
    op: 'featureStats',
    vars: () => vars,
    make: (rng) => {
      const f = randn(rng, shape);
      return [special ? nonfinite(f, 300) : f, ...basisOf(rng, shape, m, false)];
    },
    run: (be, [f, ...basis]) => be.featureStats(f, basis, c),
    tol: TOL.stats,
    bytes: 4 * shape.reduce((p, d) => p * d, 1) * (m + 1),
  };
}
const statsCase = (...a: Parameters<typeof statsOp>): void => void list.push(statsOp(...a));
statsCase([4, 33], 2);
statsCase([1, 1], 1);
statsCase([3, 7, 5, 5], 3);
statsCase([2, 1023], 2);
statsCase([5, 17, 12], 3, true);

// per F in fs: dots[n·M + j] = ⟨F_n, basis_j[n]⟩, ff_n = ‖F_n‖²
export function productsOp(shape: number[], nf: number, m: number, special = false): OpCase {
  return {
    op: 'featureProducts',
    vars: () => `featureProducts(f=${sh(shape)},F=${nf},M=${m}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const fs = Array.from({ length: nf }, () => randn(rng, shape));
      if (special) fs[nf - 1] = nonfinite(fs[nf - 1], 300);
      return [...fs, ...basisOf(rng, shape, m, false)];
    },
    run: (be, inputs) => be.featureProducts(inputs.slice(0, nf), inputs.slice(nf)),
    tol: TOL.stats,
    bytes: 4 * shape.reduce((p, d) => p * d, 1) * (m + nf),
  };
}
const productsCase = (...a: Parameters<typeof productsOp>): void => void list.push(productsOp(...a));
productsCase([4, 33], 1, 2);
productsCase([1, 1], 2, 1);
productsCase([3, 7, 5, 5], 4, 3);
productsCase([3, 37], 2, 4);
productsCase([2, 19], 3, 6);
productsCase([2, 8193], 2, 9);
productsCase([5, 17, 12], 3, 2, true);

export const featureStatsCases: readonly OpCase[] = list;
