// Property tests (fast-check) of the pieces with algebra: coefficient constructors, the streaming
// similarity accumulators against a full-matrix float64 computation, and BF16/F16 round trips.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { averaging, coefficientRow, explicitMatrix, interpolation, negation, parseGrid, taskArithmetic } from '../src/sweep/coefficients.js';
import { SimilarityAccumulator } from '../src/metrics/similarity.js';
import { bf16ToFloat32, f16BitsToNumber, f16ToFloat32, float32ToBf16, float32ToF16, numberToBf16Bits, numberToF16Bits } from '../src/io/half.js';

const RUNS = { numRuns: 300, seed: 20261204 };
const coef = fc.double({ min: -8, max: 8, noNaN: true });
const close = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

test('coefficient constructors: every row is affine (sums to 1) and has the documented form', () => {
  fc.assert(fc.property(fc.array(coef, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 6 }), (grid, t) => {
    const ip = interpolation('a', 'b', grid);
    const ta = taskArithmetic('base', Array.from({ length: t }, (_, i) => `t${i}`), grid);
    const ng = negation('base', 't', grid);
    grid.forEach((g, k) => {
      assert.equal(coefficientRow(ip, k), [g, 1 - g]);
      const row = coefficientRow(ta, k);
      assert.ok(row.slice(1).every((v) => v === g));
      assert.ok(close(row.reduce((s, v) => s + v, 0), 1, 1e-12), `task arithmetic row ${row}`);
      assert.equal(coefficientRow(ng, k), [1 + g, -g]);
    });
    assert.is(ip.k, grid.length);
    assert.is(ta.m, t + 1);
  }), RUNS);
  fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), (n) => {
    const row = coefficientRow(averaging(Array.from({ length: n }, (_, i) => `m${i}`)), 0);
    assert.ok(close(row.reduce((s, v) => s + v, 0), 1, 1e-12));
    assert.ok(row.every((v) => v === 1 / n));
  }), RUNS);
});

test('parseGrid: start:stop:count has count values from start to stop, evenly spaced; a list parses back', () => {
  fc.assert(fc.property(coef, coef, fc.integer({ min: 2, max: 40 }), (a, b, n) => {
    const g = parseGrid(`${a}:${b}:${n}`);
    assert.is(g.length, n);
    assert.is(g[0], a);
    assert.is(g[n - 1], b);
    for (let i = 1; i < n; i++) assert.ok(close(g[i] - g[i - 1], (b - a) / (n - 1), 1e-9));
    assert.equal(parseGrid(g.join(',')), g);
  }), RUNS);
});

test('explicitMatrix keeps any finite K×M matrix exactly, and refuses a non-finite entry naming its place', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.array(coef, { minLength: 25, maxLength: 25 }), (k, m, pool) => {
    const rows = Array.from({ length: k }, (_, i) => pool.slice(i * m, i * m + m));
    const models = Array.from({ length: m }, (_, j) => `m${j}`);
    const c = explicitMatrix(rows, models);
    rows.forEach((r, i) => assert.equal(coefficientRow(c, i), r));
    const bad = rows.map((r) => [...r]);
    bad[k - 1][m - 1] = NaN;
    assert.throws(() => explicitMatrix(bad, models, 'c.json'), new RegExp(`c\\.json: row ${k - 1} column ${m - 1} is null`));
  }), RUNS);
});

/** dist, coef over the whole set and per-sample moments straight from the full N×D matrices. */
function fullMatrixReference(F: number[][], G: number[][]): { dist: number; coef: number; distMean: number; distStd: number | null; cosMean: number } {
  let dot = 0, ff = 0, gg = 0;
  const dists: number[] = [];
  const coss: number[] = [];
  F.forEach((f, n) => {
    const g = G[n];
    const d = f.reduce((s, v, i) => s + v * g[i], 0);
    const a = f.reduce((s, v) => s + v * v, 0);
    const b = g.reduce((s, v) => s + v * v, 0);
    dot += d; ff += a; gg += b;
    dists.push(a === 0 || b === 0 ? (a === 0 && b === 0 ? 0 : 1) : 1 - Math.abs(d) / Math.sqrt(a * b));
    coss.push(a === 0 || b === 0 ? (a === 0 && b === 0 ? 1 : 0) : d / Math.sqrt(a * b));
  });
  const mean = dists.reduce((s, v) => s + v, 0) / dists.length;
  const std = dists.length < 2 ? null : Math.sqrt(dists.reduce((s, v) => s + (v - mean) ** 2, 0) / (dists.length - 1));
  return {
    dist: ff === 0 || gg === 0 ? (ff === 0 && gg === 0 ? 0 : 1) : 1 - Math.abs(dot) / Math.sqrt(ff * gg),
    coef: gg === 0 ? (ff === 0 ? 1 : 0) : dot / gg,
    distMean: mean,
    distStd: std,
    cosMean: coss.reduce((s, v) => s + v, 0) / coss.length,
  };
}

test('SimilarityAccumulator fed in any chunking equals the full-matrix float64 computation', () => {
  // multiples of 1/16 keep every product exact, so the reference and the accumulator see equal inputs
  const value = fc.oneof(fc.constant(0), fc.integer({ min: -1600, max: 1600 }).map((v) => v / 16));
  const data = fc.integer({ min: 1, max: 6 }).chain((d) =>
    fc.tuple(fc.array(fc.tuple(fc.array(value, { minLength: d, maxLength: d }), fc.array(value, { minLength: d, maxLength: d })), { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 })));
  fc.assert(fc.property(data, ([pairs, cuts]) => {
    const F = pairs.map((p) => p[0]);
    const G = pairs.map((p) => p[1]);
    const acc = new SimilarityAccumulator();
    let at = 0;
    let c = 0;
    while (at < F.length) {
      const n = Math.min(cuts[c++ % cuts.length], F.length - at);
      const dot = new Float64Array(n), ff = new Float64Array(n), gg = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const f = F[at + i], g = G[at + i];
        dot[i] = f.reduce((s, v, j) => s + v * g[j], 0);
        ff[i] = f.reduce((s, v) => s + v * v, 0);
        gg[i] = g.reduce((s, v) => s + v * v, 0);
      }
      acc.add({ dot, ff, gg }, 'property');
      at += n;
    }
    const got = acc.summary();
    const want = fullMatrixReference(F, G);
    assert.is(got.samples, F.length);
    for (const k of ['dist', 'coef', 'distMean', 'cosMean'] as const) assert.ok(close(got[k], want[k], 1e-9), `${k}: ${got[k]} vs ${want[k]}`);
    if (want.distStd === null) assert.is(got.distStd, null);
    else assert.ok(Math.abs(got.distStd! - want.distStd) <= 1e-7, `distStd ${got.distStd} vs ${want.distStd}`);
  }), RUNS);
});

test('F16 and BF16: every bit pattern round-trips; float32 → half picks the nearest value, ties to even', () => {
  for (let h = 0; h < 0x10000; h++) {
    const x = f16BitsToNumber(h);
    if (Number.isNaN(x)) assert.ok(Number.isNaN(f16BitsToNumber(numberToF16Bits(x))));
    else assert.is(numberToF16Bits(x), h, `f16 0x${h.toString(16)}`);
    const y = bf16ToFloat32(new Uint16Array([h]))[0];
    if (Number.isNaN(y)) assert.ok(Number.isNaN(bf16ToFloat32(new Uint16Array([numberToBf16Bits(y)]))[0]));
    else assert.is(numberToBf16Bits(y), h, `bf16 0x${h.toString(16)}`);
  }
  const f32 = fc.float({ noNaN: true, noDefaultInfinity: false });
  fc.assert(fc.property(f32, (x) => {
    for (const [toBits, fromBits] of [[numberToF16Bits, f16BitsToNumber], [numberToBf16Bits, (b: number) => bf16ToFloat32(new Uint16Array([b]))[0]]] as const) {
      const h = toBits(x);
      const back = fromBits(h);
      if (!Number.isFinite(back)) continue; // overflow to ±inf is checked by the neighbours below only when finite
      const err = Math.abs(back - x);
      // no representable neighbour is closer; on a tie the chosen pattern is even
      for (const nb of [h - 1, h + 1]) {
        if (nb < 0 || nb > 0xffff || (nb & 0x7fff) === 0x7fff) continue;
        const other = fromBits(nb);
        if (!Number.isFinite(other) || Math.sign(other) !== Math.sign(back) && other !== 0) continue;
        const e2 = Math.abs(other - x);
        assert.ok(err < e2 || (err === e2 && (h & 1) === 0), `x=${x}: chose ${back} (0x${h.toString(16)}), ${other} is ${e2 <= err ? 'closer or tied-even' : 'farther'}`);
      }
    }
  }), { ...RUNS, numRuns: 2000 });
  // array converters agree with the scalar ones
  fc.assert(fc.property(fc.array(f32, { maxLength: 64 }), (xs) => {
    const a = Float32Array.from(xs);
    const h16 = float32ToF16(a);
    const b16 = float32ToBf16(a);
    xs.forEach((x, i) => {
      assert.is(h16[i], numberToF16Bits(x));
      assert.is(b16[i], numberToBf16Bits(x));
    });
    assert.equal([...f16ToFloat32(h16)], [...h16].map(f16BitsToNumber));
  }), RUNS);
});

test.run();
