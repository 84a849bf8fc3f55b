// GEMM cases: C[M,N] = A[M,K] · B[K,N] (transB: B as [N,K], as torch Linear weights are stored).
// Square 1024³ and 2048³ (the targets) and transformer-shaped products.
import { matmulOp } from '../test/harness/cases_gemm.js';
import type { BenchCase } from './harness.js';

const gemm = (label: string, m: number, k: number, n: number, transB: boolean, quick: boolean, onReference = false): BenchCase => ({
  area: 'gemm', label, op: matmulOp([], m, k, n, transB), torch: { kind: 'matmul', m, k, n, transB }, onReference, quick,
});

export const gemmCases: readonly BenchCase[] = [
  gemm('square, small', 128, 128, 128, false, true, true),
  gemm('square 1024³', 1024, 1024, 1024, false, true),
  gemm('square 2048³', 2048, 2048, 2048, false, true),
  gemm('ViT-S/4 MLP fc (64 images × 65 tokens)', 64 * 65, 192, 768, true, false),
  gemm('GPT-2 qkv (4 × 256 tokens)', 1024, 768, 2304, true, true),
  gemm('GPT-2 MLP proj (4 × 256 tokens)', 1024, 3072, 768, true, false),
];
