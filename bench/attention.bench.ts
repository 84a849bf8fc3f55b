// Attention cases: qkv [N,T,3D] packed, H heads, softmax(q kᵀ / √(D/H)) v; FLOPs count the two
// products (causal: the unmasked half, as the test cases count it).
import { attentionOp } from '../test/harness/cases_attention.js';
import type { BenchCase } from './harness.js';

const att = (label: string, n: number, t: number, d: number, heads: number, causal: boolean, quick: boolean, onReference = false): BenchCase => ({
  area: 'attention', label, op: attentionOp(n, t, d, heads, causal), torch: { kind: 'attention', n, t, d, heads, causal }, onReference, quick,
});

export const attentionCases: readonly BenchCase[] = [
  att('small', 1, 16, 32, 2, false, true, true),
  att('ViT-S/4 (64 images × 65 tokens, 3 heads)', 64, 65, 192, 3, false, true),
  att('GPT-2 small, 4 × 256 tokens, causal', 4, 256, 768, 12, true, true),
  att('GPT-2 small, 1024 tokens, causal', 1, 1024, 768, 12, true, false),
];
