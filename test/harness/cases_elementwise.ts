// Op cases for elementwise ops and pooling: relu, gelu (both forms), quickGelu, concatLast, add, maxPool2d, avgPool2d,
// adaptiveAvgPool2d; with NaN/±Inf propagation cases.
import { nonfinite, randn, sh, TOL, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

// ---- elementwise activations and add ----
function unaryCase(op: 'relu' | 'gelu' | 'quickGelu', shape: number[], form: 'erf' | 'tanh' | null, special: boolean): void {
  list.push({
    op,
    vars: () => `${op}(x=${sh(shape)}${form ? `,approximate=${form}` : ''}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      // quickGelu: scale 30 reaches its saturated tails (x < −52: e^(−1.702x) overflows float32)
      const x = randn(rng, shape, op === 'quickGelu' ? 30 : 3);
      return [special ? nonfinite(x, 5) : x];
    },
    run: (be, [x]) => (op === 'quickGelu' ? be.quickGelu(x) : form ? be.gelu(x, form) : be.relu(x)),
    tol: op === 'relu' ? TOL.exact : TOL.transcendental,
  });
}
for (const special of [false, true]) {
  unaryCase('relu', [1], null, special);
  unaryCase('relu', [2, 3, 7, 5], null, special);
  unaryCase('relu', [1023], null, special);
  for (const form of ['erf', 'tanh'] as const) {
    unaryCase('gelu', [1], form, special);
    unaryCase('gelu', [2, 7, 33], form, special);
    unaryCase('gelu', [1023], form, special);
  }
  unaryCase('quickGelu', [1], null, special);
  unaryCase('quickGelu', [2, 7, 33], null, special);
  unaryCase('quickGelu', [4099], null, special);
}

// concatLast: widths that are not multiples of 4 or 8, a single input, a width-0 input, rank 1 and 3
function concatCase(lead: number[], widths: number[]): void {
  list.push({
    op: 'concatLast',
    vars: () => `concatLast(lead=${sh(lead)},widths=${widths.join('|')})`,
    make: (rng) => widths.map((w) => randn(rng, [...lead, w])),
    run: (be, xs) => be.concatLast(xs),
    tol: TOL.exact,
  });
}
concatCase([], [3, 5]);
concatCase([7], [24, 24, 24]);
concatCase([2, 9], [13, 1, 0, 6]);
concatCase([3, 4], [11]);
concatCase([1], [7203, 4099, 4099]);

function addCase(aShape: number[], bShape: number[], special = false): void {
  list.push({
    op: 'add',
    vars: () => `add(a=${sh(aShape)},b=${sh(bShape)}${special ? ',nonfinite' : ''})`,
    make: (rng) => {
      const a = randn(rng, aShape);
      return [special ? nonfinite(a, 4) : a, randn(rng, bShape)];
    },
    run: (be, [a, b]) => be.add(a, b),
    tol: TOL.exact,
  });
}
addCase([1], [1]);
addCase([2, 7, 33], [33]);
addCase([2, 7, 33], [7, 33]);
addCase([3, 1023], [3, 1023]);
addCase([2, 4, 5, 5], [2, 4, 5, 5], true);


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

export const elementwiseCases: readonly OpCase[] = list;
