// Op cases for the elementwise family: relu, gelu (both forms), quickGelu, add; with NaN/±Inf propagation.
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

export const elementwiseCases: readonly OpCase[] = list;
