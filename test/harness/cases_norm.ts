// Op cases for the norm family: batchNorm (eval), layerNorm, l2Normalize.
import { nanAt, randn, sh, TOL, uniform, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

// ---- batchNorm (eval) and layerNorm ----
function batchNormCase(shape: number[]): void {
  list.push({
    op: 'batchNorm',
    vars: () => `batchNorm(x=${sh(shape)},eps=1e-5)`,
    make: (rng) => [randn(rng, shape, 2, 0.5), randn(rng, [shape[1]]), uniform(rng, [shape[1]], 0.1, 3),
      randn(rng, [shape[1]]), randn(rng, [shape[1]])],
    run: (be, [x, mean, variance, w, b]) => be.batchNorm(x, mean, variance, w, b, 1e-5),
    tol: TOL.elementwise,
  });
}
batchNormCase([2, 5, 7, 3]);
batchNormCase([1, 1, 1, 1]);
batchNormCase([3, 33]);

function layerNormCase(shape: number[], eps: number, offset = 0, special = false): void {
  const d = shape[shape.length - 1];
  list.push({
    op: 'layerNorm',
    vars: () => `layerNorm(x=${sh(shape)},eps=${eps}${offset ? `,mean=${offset}` : ''}${special ? ',nan' : ''})`,
    make: (rng) => {
      const x = randn(rng, shape, 1, offset);
      return [special ? nanAt(x, [d + 2]) : x, randn(rng, [d]), randn(rng, [d])];
    },
    run: (be, [x, w, b]) => be.layerNorm(x, w, b, eps),
    tol: TOL.reduction,
  });
}
layerNormCase([1, 1], 1e-5);
layerNormCase([2, 7, 33], 1e-5);
layerNormCase([3, 16], 1e-5); // the 16-wide paths: a whole step, then a step and a full 8-lane tail
layerNormCase([3, 24], 1e-5);
layerNormCase([3, 1023], 1e-6);
layerNormCase([4, 1023], 1e-5, 50);
layerNormCase([3, 7], 1e-5, 0, true);

// l2Normalize: CLIP embeddings before a zero-shot head (widths 512/768 and odd ones), a NaN, a zero row
function l2NormalizeCase(shape: number[], special: '' | 'nan' | 'zero_row' = ''): void {
  const d = shape[shape.length - 1];
  list.push({
    op: 'l2Normalize',
    vars: () => `l2Normalize(x=${sh(shape)}${special ? `,${special}` : ''})`,
    make: (rng) => {
      const x = randn(rng, shape, 3);
      if (special === 'zero_row') x.data.fill(0, d, 2 * d);
      return [special === 'nan' ? nanAt(x, [d + 2]) : x];
    },
    run: (be, [x]) => be.l2Normalize(x),
    tol: TOL.reduction,
  });
}
l2NormalizeCase([1, 1]);
l2NormalizeCase([5, 512]);
l2NormalizeCase([2, 3, 37]);
l2NormalizeCase([3, 1031]);
l2NormalizeCase([3, 7], 'nan');
l2NormalizeCase([3, 7], 'zero_row');

export const normCases: readonly OpCase[] = list;
