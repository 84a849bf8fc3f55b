// Op cases for the gemm family: matmul, linear.
import { numel } from '../../src/tensor.js';
import { b01, nonfinite, randn, sh, TOL, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

// ---- matmul: C[M,N] = A[M,K] · B[K,N]; sizes cross GEMM tile edges (67×129×33, 1×1023×3) ----
export function matmulOp(batch: number[], m: number, k: number, n: number, transB: boolean, special = false): OpCase {
  const aShape = [...batch, m, k];
  return {
    op: 'matmul',
    vars: () => `matmul(A=${sh(aShape)},N=${n},transB=${b01(transB)}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const a = randn(rng, aShape);
      return [special ? nonfinite(a, 37) : a, randn(rng, transB ? [n, k] : [k, n])];
    },
    run: (be, [a, b]) => be.matmul(a, b, transB),
    tol: TOL.reduction,
    flops: 2 * numel(batch) * m * k * n,
  };
}
const matmulCase = (...a: Parameters<typeof matmulOp>): void => void list.push(matmulOp(...a));
for (const t of [false, true]) {
  matmulCase([], 1, 1, 1, t);
  matmulCase([], 3, 7, 5, t);
  matmulCase([], 67, 129, 33, t);
  matmulCase([], 1, 1023, 3, t);
  matmulCase([], 130, 67, 257, t);
  matmulCase([], 66, 600, 96, t); // 5 wide tiles + one 6-row panel; k mod 8 = 4
  matmulCase([], 13, 2100, 40, t); // three depth slices (KC 1024 on the SIMD levels, 512 portable)
}
matmulCase([], 33, 1, 7, false);
matmulCase([2, 3], 5, 9, 4, false);
matmulCase([], 5, 9, 4, false, true);

// ---- linear: y = x · Wᵀ + b, W as [out,in] (torch Linear) or [in,out] (HF Conv1D) ----
function linearCase(xShape: number[], outF: number, layout: 'outIn' | 'inOut', bias: boolean): void {
  const inF = xShape[xShape.length - 1];
  list.push({
    op: 'linear',
    vars: () => `linear(x=${sh(xShape)},out=${outF},layout=${layout},bias=${b01(bias)})`,
    make: (rng) => {
      const ins = [randn(rng, xShape), randn(rng, layout === 'outIn' ? [outF, inF] : [inF, outF], 1 / Math.sqrt(inF))];
      return bias ? [...ins, randn(rng, [outF])] : ins;
    },
    run: (be, [x, w, b]) => be.linear(x, w, b ?? null, layout),
    tol: TOL.reduction,
    flops: 2 * numel(xShape) * outF,
  });
}
for (const layout of ['outIn', 'inOut'] as const) {
  linearCase([1, 1], 1, layout, true);
  linearCase([7, 33], 3, layout, true);
  linearCase([2, 5, 129], 67, layout, true);
  linearCase([3, 1023], 3, layout, false);
  linearCase([2, 33, 520], 96, layout, true); // two depth slices on the portable level
  linearCase([2, 9, 1100], 40, layout, true); // the bias enters the first of two depth slices (SIMD levels)
}

export const gemmCases: readonly OpCase[] = list;
