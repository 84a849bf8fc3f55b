// Op cases for combine: K rows from M basis tensors (coefficients and basis makers shared with the
// feature_stats cases).
import { nonfinite, randn, sh, TOL, type HostTensor, type OpCase } from './case_kit.js';
import { makeRng, seedOf, type Rng } from './rng.js';

const list: OpCase[] = [];

/** K×M coefficients in [−1.5, 1.5) (negative ones as task negation makes), fixed by the case's text. */
export function coefficients(vars: string, k: number, m: number): Float64Array {
  const rng = makeRng(seedOf(`${vars}:coefficients`));
  const c = new Float64Array(k * m);
  for (let i = 0; i < c.length; i++) c[i] = rng.uniform(-1.5, 1.5);
  return c;
}

export function basisOf(rng: Rng, shape: readonly number[], m: number, special: boolean): HostTensor[] {
  return Array.from({ length: m }, (_, j) => {
    const t = randn(rng, shape);
    return special && j === 0 ? nonfinite(t, 9) : t;
  });
}


// Out_k = Σ_j C[k,j] · basis_j
export function combineOp(shape: number[], k: number, m: number, special = false): OpCase {
  const vars = `combine(shape=${sh(shape)},K=${k},M=${m}${special ? ',nonfinite' : ''})`;
  const coeffs = coefficients(vars, k, m);
  return {
    op: 'combine',
    vars: () => vars,
    make: (rng) => basisOf(rng, shape, m, special),
    run: (be, basis) => be.combine(basis, coeffs, k),
    tol: TOL.elementwise,
    bytes: 4 * shape.reduce((p, d) => p * d, 1) * (m + k),
  };
}
const combineCase = (...a: Parameters<typeof combineOp>): void => void list.push(combineOp(...a));
combineCase([33, 7], 3, 2);
combineCase([1023], 3, 2);
combineCase([1], 1, 1);
combineCase([64, 3, 3, 3], 2, 1);
combineCase([5, 129], 3, 3);
combineCase([7, 9], 3, 2, true);

export const combineCases: readonly OpCase[] = list;
