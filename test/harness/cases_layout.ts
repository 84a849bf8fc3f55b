// Op cases for the layout family: embedding, transpose12, prependToken, selectToken, concatLast.
import { randn, sh, TOL, type HostTensor, type OpCase } from './case_kit.js';

const list: OpCase[] = [];

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

export const layoutCases: readonly OpCase[] = list;
