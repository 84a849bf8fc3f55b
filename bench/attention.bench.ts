// Attention cases: qkv [N,T,3D] packed, H heads, softmax(q kᵀ / √(D/H)) v; FLOPs count the two
// products (causal: the unmasked half, as the test cases count it).
import { randn, TOL, type OpCase } from '../test/harness/case_kit.js';
import type { BenchCase } from './harness.js';

function attention(n: number, t: number, d: number, heads: number, causal: boolean): OpCase {
  return {
    op: 'attention',
    vars: () => `attention(N=${n},T=${t},D=${d},H=${heads},causal=${causal ? 1 : 0})`,
    make: (rng) => [randn(rng, [n, t, 3 * d])],
    run: (be, [qkv]) => be.attention(qkv, heads, causal),
    tol: TOL.reduction,
    flops: 4 * n * heads * t * (causal ? (t + 1) / 2 : t) * (d / heads),
  };
}

const att = (label: string, n: number, t: number, d: number, heads: number, causal: boolean, quick: boolean, onReference = false): BenchCase => ({
  area: 'attention', label, op: attention(n, t, d, heads, causal), torch: { kind: 'attention', n, t, d, heads, causal }, onReference, quick,
});

export const attentionCases: readonly BenchCase[] = [
  att('small', 1, 16, 32, 2, false, true, true),
  att('ViT-S/4 (64 images × 65 tokens, 3 heads)', 64, 65, 192, 3, false, true),
  att('GPT-2 small, 4 × 256 tokens, causal', 4, 256, 768, 12, true, true),
  att('GPT-2 small, 1024 tokens, causal', 1, 1024, 768, 12, true, false),
];
