// Op cases for the pool family: maxPool2d, avgPool2d, adaptiveAvgPool2d.
import { nonfinite, randn, sh, TOL, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

// ---- pooling (NCHW) ----
type Pair = [number, number];
const pairText = (v: Pair): string => (v[0] === v[1] ? `${v[0]}` : `${v[0]}x${v[1]}`);

function poolCase(op: 'maxPool2d' | 'avgPool2d', shape: number[], k: Pair, s: Pair, p: Pair, special = false): void {
  list.push({
    op,
    vars: () => `${op}(x=${sh(shape)},k=${k[0]}x${k[1]},s=${pairText(s)},p=${pairText(p)}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const x = randn(rng, shape);
      return [special ? nonfinite(x, 11) : x];
    },
    run: (be, [x]) => (op === 'maxPool2d' ? be.maxPool2d(x, { kernel: k, stride: s, padding: p }) : be.avgPool2d(x, { kernel: k, stride: s, padding: p })),
    tol: op === 'maxPool2d' ? TOL.exact : TOL.reduction,
  });
}
for (const op of ['maxPool2d', 'avgPool2d'] as const) {
  poolCase(op, [2, 3, 7, 5], [3, 3], [2, 2], [1, 1]);
  poolCase(op, [1, 2, 8, 8], [2, 2], [2, 2], [0, 0]);
  poolCase(op, [1, 3, 5, 9], [3, 2], [1, 2], [1, 1]);
  poolCase(op, [1, 3, 9, 5], [3, 1], [1, 1], [1, 0]);
  poolCase(op, [1, 1, 1, 1], [1, 1], [1, 1], [0, 0]);
  poolCase(op, [1, 2, 7, 7], [3, 3], [2, 2], [1, 1], true);
}

function adaptiveCase(shape: number[], oh: number, ow: number): void {
  list.push({
    op: 'adaptiveAvgPool2d',
    vars: () => `adaptiveAvgPool2d(x=${sh(shape)},out=${oh}x${ow})`,
    make: (rng) => [randn(rng, shape)],
    run: (be, [x]) => be.adaptiveAvgPool2d(x, oh, ow),
    tol: TOL.reduction,
  });
}
adaptiveCase([2, 3, 7, 5], 1, 1);
adaptiveCase([1, 4, 7, 9], 3, 4);
adaptiveCase([1, 2, 5, 5], 5, 5);
adaptiveCase([1, 1, 3, 3], 5, 7);
adaptiveCase([2, 64, 7, 7], 1, 1);

export const poolCases: readonly OpCase[] = list;
