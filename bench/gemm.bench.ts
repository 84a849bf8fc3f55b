// GEMM cases: C[M,N] = A[M,K] · B[K,N] (transB: B as [N,K], as torch Linear weights are stored).
// Square 1024³ and 2048³ (the targets) and transformer-shaped products.
import { randn, sh, TOL, type OpCase } from '../test/harness/case_kit.js';
import type { BenchCase } from './harness.js';

function matmul(m: number, k: number, n: number, transB: boolean): OpCase {
  return {
    op: 'matmul',
    vars: () => `matmul(A=${sh([m, k])},N=${n},transB=${transB ? 1 : 0})`,
    make: (rng) => [randn(rng, [m, k]), randn(rng, transB ? [n, k] : [k, n])],
    run: (be, [a, b]) => be.matmul(a, b, transB),
    tol: TOL.reduction,
    flops: 2 * m * k * n,
  };
}

const gemm = (label: string, m: number, k: number, n: number, transB: boolean, quick: boolean, onReference = false): BenchCase => ({
  area: 'gemm', label, op: matmul(m, k, n, transB), torch: { kind: 'matmul', m, k, n, transB }, onReference, quick,
});

export const gemmCases: readonly BenchCase[] = [
  gemm('square, small', 128, 128, 128, false, true, true),
  gemm('square 1024³', 1024, 1024, 1024, false, true),
  gemm('square 2048³', 2048, 2048, 2048, false, true),
  gemm('ViT-S/4 MLP fc (64 images × 65 tokens)', 64 * 65, 192, 768, true, false),
  gemm('GPT-2 qkv (4 × 256 tokens)', 1024, 768, 2304, true, true),
  gemm('GPT-2 MLP proj (4 × 256 tokens)', 1024, 3072, 768, true, false),
];
