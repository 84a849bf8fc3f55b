// Op cases for the sequence ops: attention (causal and not), embedding, transpose12,
// prependToken, selectToken.
import { nanAt, randn, sh, TOL, type HostTensor, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

// qkv [N, T, 3D], heads H: softmax(q kᵀ / √(D/H)) v per head
export function attentionOp(n: number, t: number, d: number, heads: number, causal: boolean, special = false): OpCase {
  return {
    op: 'attention',
    vars: () => `attention(N=${n},T=${t},D=${d},H=${heads},causal=${causal ? 1 : 0}${special ? ',nan' : ''})`,
    make: (rng) => {
      const qkv = randn(rng, [n, t, 3 * d]);
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
}
// Vision-transformer shapes (issue 12): head dims 20, 40, 80 (not multiples of 16 or 32) and
// ViT-B/32's 50 tokens × 12 heads of 64.
attentionCase(1, 17, 60, 3, false);
attentionCase(2, 50, 120, 3, false);
attentionCase(2, 10, 160, 2, false);
attentionCase(1, 50, 768, 12, false);

function idsOf(shape: readonly number[], vocab: number, draw: () => number): HostTensor {
  const data = new Int32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = draw();
  data[0] = vocab - 1; // the last row of the table is always read
  return { data, shape };
}

// y[..., :] = table[ids[...], :]
function embeddingCase(idShape: number[], vocab: number, d: number): void {
  list.push({
    op: 'embedding',
    vars: () => `embedding(ids=${sh(idShape)},V=${vocab},D=${d})`,
    make: (rng) => [idsOf(idShape, vocab, () => rng.int(vocab)), randn(rng, [vocab, d])],
    run: (be, [ids, table]) => be.embedding(ids, table),
    tol: TOL.exact,
  });
}
embeddingCase([2, 7], 50, 33);
embeddingCase([1], 1, 1);
embeddingCase([3, 129], 1023, 8);

function transposeCase(shape: number[]): void {
  list.push({
    op: 'transpose12',
    vars: () => `transpose12(x=${sh(shape)})`,
    make: (rng) => [randn(rng, shape)],
    run: (be, [x]) => be.transpose12(x),
    tol: TOL.exact,
  });
}
transposeCase([2, 7, 33]);
transposeCase([1, 1, 1]);
transposeCase([3, 1023, 3]);
transposeCase([1, 64, 49]);

function prependCase(shape: number[], tokenShape: number[]): void {
  list.push({
    op: 'prependToken',
    vars: () => `prependToken(x=${sh(shape)},token=${sh(tokenShape)})`,
    make: (rng) => [randn(rng, shape), randn(rng, tokenShape)],
    run: (be, [x, token]) => be.prependToken(x, token),
    tol: TOL.exact,
  });
}
prependCase([2, 7, 33], [33]);
prependCase([1, 1, 1], [1]);
prependCase([3, 49, 16], [1, 1, 16]);

function selectCase(shape: number[], index: number): void {
  list.push({
    op: 'selectToken',
    vars: () => `selectToken(x=${sh(shape)},index=${index})`,
    make: (rng) => [randn(rng, shape)],
    run: (be, [x]) => be.selectToken(x, index),
    tol: TOL.exact,
  });
}
selectCase([2, 7, 33], 0);
selectCase([2, 7, 33], 6);
selectCase([1, 1, 5], 0);
selectCase([3, 1023, 3], 511);

export const sequenceCases: readonly OpCase[] = list;
