import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  parseGrid,
  interpolation,
  averaging,
  taskArithmetic,
  negation,
  explicitMatrix,
  matrixFromFile,
  coefficientRow,
} from '../src/sweep/coefficients.js';
import { SimilarityAccumulator, distance, coefficient, cosine } from '../src/metrics/similarity.js';
import { fixture } from './harness/paths.js';
import { comparisonFields } from '../src/sweep/results.js';
import { barrier, meanLogits, checkLabelShape, TaskAccumulator } from '../src/metrics/task.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-coef-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function crossEntropyAccuracy(logits: number[], labels: number[], classes: number, where = 'logits') {
  const acc = new TaskAccumulator();
  acc.add(logits, labels, classes, where);
  return acc.result();
}

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const rows = (c: { data: Float64Array; k: number; m: number }) =>
  Array.from({ length: c.k }, (_, k) => Array.from(c.data.subarray(k * c.m, (k + 1) * c.m)));

test('parseGrid: start:stop:count is inclusive, comma lists, values outside [0,1]', () => {
  const g = parseGrid('0:1:11');
  assert.is(g.length, 11);
  close(g[3], 0.3);
  assert.is(g[10], 1);
  assert.equal(parseGrid('-0.5,0.5, 1.5'), [-0.5, 0.5, 1.5]);
  assert.equal(parseGrid('2:2:1'), [2]);
  assert.throws(() => parseGrid('', '--alphas'), /--alphas: empty grid/);
  assert.throws(() => parseGrid(' , ', '--alphas'), /--alphas: empty grid/);
  assert.throws(() => parseGrid('0:1:0', '--alphas'), /count .* positive integer/);
  assert.throws(() => parseGrid('0:1', '--alphas'), /start:stop:count/);
  assert.throws(() => parseGrid('0,x', '--alphas'), /'x' .* not a finite number/);
});

test('interpolation rows are [α, 1−α] with the α kept per row', () => {
  const c = interpolation('A', 'B', '0:1:3');
  assert.is(c.mode, 'interpolate');
  assert.equal(c.basis, ['A', 'B']);
  assert.equal(rows(c), [[0, 1], [0.5, 0.5], [1, 0]]);
  assert.equal(c.alphas, [0, 0.5, 1]);
  assert.equal(rows(interpolation('A', 'B', [2])), [[2, -1]]);
  assert.throws(() => interpolation('A', 'B', []), /--alphas: empty grid/);
});

test('averaging is one row of 1/N', () => {
  const c = averaging(['a', 'b', 'c', 'd']);
  assert.is(c.k, 1);
  assert.equal(coefficientRow(c, 0), [0.25, 0.25, 0.25, 0.25]);
});

test('task arithmetic rows are [1 − λT, λ, …]; negation rows are [1 + λ, −λ]', () => {
  const t = taskArithmetic('p', ['t1', 't2'], [0, 0.5]);
  assert.equal(t.basis, ['p', 't1', 't2']);
  assert.equal(rows(t), [[1, 0, 0], [0, 0.5, 0.5]]);
  assert.equal(t.lambdas, [0, 0.5]);
  const n = negation('p', 't', '0,1');
  assert.equal(rows(n), [[1, -0], [2, -1]]);
  assert.is(n.mode, 'negate');
});

test('explicit matrix: width, finiteness, non-empty are checked; JSON file forms', () => {
  assert.equal(rows(explicitMatrix([[1, 2], [3, 4]], ['a', 'b'])), [[1, 2], [3, 4]]);
  assert.throws(() => explicitMatrix([[1, 2, 3]], ['a', 'b'], 'c.json'), /c\.json: row 0 has 3 entries, expected 2/);
  assert.throws(() => explicitMatrix([], ['a', 'b'], 'c.json'), /non-empty/);
  assert.throws(() => explicitMatrix([[1, null]], ['a', 'b'], 'c.json'), /row 0 column 1 is null/);
  const f1 = path.join(dir, 'a.json');
  writeFileSync(f1, JSON.stringify({ coefficients: [[0.2, 0.8]] }));
  assert.equal(rows(matrixFromFile(f1, ['a', 'b'])), [[0.2, 0.8]]);
  const f2 = path.join(dir, 'b.json');
  writeFileSync(f2, '[[1,');
  assert.throws(() => matrixFromFile(f2, ['a', 'b']), /b\.json: cannot read/);
});

test('zero-norm rules for dist, coef and cos', () => {
  assert.is(distance(0, 0, 0), 0);
  assert.is(cosine(0, 0, 0), 1);
  assert.is(distance(0, 0, 3), 1);
  assert.is(distance(0, 3, 0), 1);
  assert.is(cosine(0, 3, 0), 0);
  assert.is(coefficient(0, 0, 0), 1);
  assert.is(coefficient(0, 2, 0), 0);
  assert.is(coefficient(3, 4, 2), 1.5);
  close(distance(-2, 1, 4), 0); // anti-aligned: |·| hides the sign
  close(cosine(-2, 1, 4), -1);
});

test('accumulator: whole set vs per sample, std null with one sample, chunks add up', () => {
  // F_0 = (1,0), G_0 = (1,1); F_1 = (0,2), G_1 = (0,-1)
  const stats = { dot: new Float64Array([1, -2]), ff: new Float64Array([1, 4]), gg: new Float64Array([2, 1]) };
  const whole = new SimilarityAccumulator();
  whole.add(stats, 'row 0, layer x');
  const s = whole.summary();
  close(s.dist, 1 - 1 / Math.sqrt(5 * 3));
  close(s.coef, -1 / 3);
  const d0 = 1 - 1 / Math.sqrt(2);
  close(s.distMean, d0 / 2);
  close(s.distStd!, Math.abs(d0) / Math.sqrt(2));
  close(s.coefMean, (0.5 - 2) / 2);
  close(s.cosMean, (1 / Math.sqrt(2) - 1) / 2);
  // the same data in two chunks
  const split = new SimilarityAccumulator();
  split.add({ dot: stats.dot.slice(0, 1), ff: stats.ff.slice(0, 1), gg: stats.gg.slice(0, 1) }, 'r');
  assert.is(split.summary().distStd, null);
  assert.is(split.summary().coefStd, null);
  split.add({ dot: stats.dot.slice(1), ff: stats.ff.slice(1), gg: stats.gg.slice(1) }, 'r');
  const t = split.summary();
  close(t.dist, s.dist);
  close(t.distStd!, s.distStd!);
  close(t.coefStd!, s.coefStd!);
});

test('accumulator: non-finite features name the row and layer', () => {
  const acc = new SimilarityAccumulator();
  const bad = { dot: new Float64Array([1]), ff: new Float64Array([NaN]), gg: new Float64Array([1]) };
  assert.throws(() => acc.add(bad, 'row 3 (alpha 0.5), layer 2'), /row 3 \(alpha 0\.5\), layer 2: NaN or Inf in the features/);
  const badG = { dot: new Float64Array([1]), ff: new Float64Array([1]), gg: new Float64Array([Infinity]) };
  assert.throws(() => acc.add(badG, 'row 1, layer 4'), /row 1, layer 4: NaN or Inf in the combined/);
});

test('cross-entropy and accuracy: hand values, ties to the lowest index, label range', () => {
  const logits = [0, Math.log(3), 1, 1];
  const m = crossEntropyAccuracy(logits, [1, 1], 2);
  close(m.loss, (-Math.log(3 / 4) + Math.log(2)) / 2);
  assert.is(m.accuracy, 0.5); // second row ties → argmax 0 ≠ 1
  assert.throws(() => crossEntropyAccuracy(logits, [2, 0], 2, 'labels.safetensors'), /label 2 at position 0 is out of range for 2 classes/);
  assert.throws(() => checkLabelShape([4, 3, 10], [4], 'labels'), /labels have shape \[4\], expected \[4, 3\]/);
  assert.is(checkLabelShape([4, 3, 10], [4, 3], 'labels'), 10);
  assert.equal(Array.from(meanLogits([[1, 2], [3, 6]])), [2, 4]);
  // a NaN that is not the maximum must not slip through as a NaN loss
  assert.throws(() => crossEntropyAccuracy([1, NaN], [0], 2, 'row 2 logits'), /row 2 logits: NaN or Inf in the logits \(position 0, class 1\)/);
  assert.throws(() => crossEntropyAccuracy([Infinity, 0], [0], 2), /NaN or Inf in the logits/);
});

test('barriers on a hand-made curve', () => {
  // L_A = 1 (α = 1), L_B = 3 (α = 0); peak 4 at α = 0.25
  const alphas = [0, 0.25, 0.5, 1];
  const curve = [3, 4, 2.5, 1];
  const b = barrier(alphas, curve, 1, 3);
  close(b.midpoint, 4 - 2);
  // gaps: 0, 4 − 2.5, 2.5 − 2, 0 → 1.5
  close(b.weighted, 1.5);
  assert.throws(() => barrier([0], [1, 2], 0, 0), /1 alphas for 2/);
});

test('zero-norm golden cases (tools/gen_fixtures.py) through the accumulator', () => {
  const z = JSON.parse(readFileSync(fixture('metrics', 'zero_norm.json'), 'utf8')) as {
    cases: { name: string; F: number[][]; G: number[][]; expected: Record<string, number | null> }[];
  };
  assert.ok(z.cases.length >= 3);
  for (const c of z.cases) {
    const n = c.F.length;
    const stats = { dot: new Float64Array(n), ff: new Float64Array(n), gg: new Float64Array(n) };
    c.F.forEach((f, i) => f.forEach((v, d) => {
      stats.dot[i] += v * c.G[i][d];
      stats.ff[i] += v * v;
      stats.gg[i] += c.G[i][d] ** 2;
    }));
    const acc = new SimilarityAccumulator();
    acc.add(stats, c.name);
    const got = comparisonFields([{ tag: 'alpha_int', fields: 'distCoefCos', acc }]);
    assert.equal(Object.keys(got).sort(), Object.keys(c.expected).sort(), `${c.name}: metric names`);
    for (const [k, v] of Object.entries(c.expected)) {
      if (v === null) assert.is(got[k], null, `${c.name} ${k}`);
      else close(got[k]!, v, 1e-12);
    }
  }
});

test.run();
