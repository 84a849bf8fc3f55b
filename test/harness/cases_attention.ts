// Op cases for attention over packed qkv (causal and not, odd head dims).
import { nanAt, randn, TOL, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

// qkv [N, T, 3D], heads H: softmax(q kᵀ / √(D/H)) v per head
export function attentionOp(n: number, t: number, d: number, heads: number, causal: boolean, special: boolean | 'inf' = false): OpCase {
  return {
    op: 'attention',
    vars: () => `attention(N=${n},T=${t},D=${d},H=${heads},causal=${causal ? 1 : 0}${special ? `,${special === 'inf' ? 'inf' : 'nan'}` : ''})`,
    make: (rng) => {
      const qkv = randn(rng, [n, t, 3 * d]);
      if (special === 'inf') {
        // +∞ in token 1's q of head 0: that row's scores are ±∞, its maximum infinite
        qkv.data[3 * d] = Infinity;
        return [qkv];
      }
      // a NaN in token 1's q of head 0 and in the last token's k: rows and columns that must turn NaN
      return [special ? nanAt(qkv, [3 * d, (t - 1) * 3 * d + d + 1]) : qkv];
    },
    run: (be, [qkv]) => be.attention(qkv, heads, causal),
    tol: TOL.reduction,
    flops: 4 * n * heads * t * (causal ? (t + 1) / 2 : t) * (d / heads),
  };
}
const attentionCase = (...a: Parameters<typeof attentionOp>): void => void list.push(attentionOp(...a));
for (const causal of [false, true]) {
  attentionCase(2, 7, 8, 2, causal);
  attentionCase(1, 1, 4, 1, causal);
  attentionCase(1, 33, 64, 4, causal);
  attentionCase(3, 17, 12, 3, causal);
  attentionCase(1, 129, 128, 2, causal);
  attentionCase(2, 5, 8, 2, causal, true);
  attentionCase(1, 19, 8, 2, causal, 'inf');
}
// Vision-transformer shapes (issue 12): head dims 20, 40, 80 (not multiples of 16 or 32) and
// ViT-B/32's 50 tokens × 12 heads of 64.
attentionCase(1, 17, 60, 3, false);
attentionCase(2, 50, 120, 3, false);
attentionCase(2, 10, 160, 2, false);
attentionCase(1, 50, 768, 12, false);

export const attentionCases: readonly OpCase[] = list;
