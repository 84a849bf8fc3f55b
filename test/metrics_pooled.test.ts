// The pooled metrics' algebra as properties: linear CKA is unchanged by an orthogonal transform and
// an isotropic scaling of the features; CKA through the D × D products (the released formula,
// computed here directly) equals CKA through the N × N Gram matrices; the Jacobi solvers reproduce
// their matrices; the Gram store gives the same matrices for any chunking; the streamed vanilla and
// abs_div states merge to the single-pass values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { singularValues, symmetricEigen } from '../src/metrics/jacobi.js';
import { linCka, linCkaPrime, NormalisedGram, nuclearNorm, procrustes } from '../src/metrics/pooled.js';
import { GramStore } from '../src/metrics/gram_store.js';
import { AbsDivAccumulator, VanillaAccumulator } from '../src/metrics/elementwise.js';
import { makeRng } from './harness/rng.js';

const rng = makeRng(19);
const rand = (): number => rng.next();
const gauss = (): number => rng.normal();
const randomMatrix = (r: number, c: number): Float64Array => Float64Array.from({ length: r * c }, gauss);

/** K = X Xᵀ of X (n × d, row-major: samples as rows). */
function gram(x: Float64Array, n: number, d: number): Float64Array {
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let e = 0; e < d; e++) s += x[i * d + e] * x[j * d + e];
    k[i * n + j] = s;
  }
  return k;
}

/** Q (d × d) orthogonal: Gram–Schmidt of a random matrix. */
function orthogonal(d: number): Float64Array {
  const q = randomMatrix(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let e = 0; e < d; e++) dot += q[i * d + e] * q[j * d + e];
      for (let e = 0; e < d; e++) q[i * d + e] -= dot * q[j * d + e];
    }
    let nrm = 0;
    for (let e = 0; e < d; e++) nrm += q[i * d + e] ** 2;
    for (let e = 0; e < d; e++) q[i * d + e] /= Math.sqrt(nrm);
  }
  return q;
}

function matmul(a: Float64Array, b: Float64Array, r: number, k: number, c: number): Float64Array {
  const o = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let e = 0; e < k; e++) {
    const v = a[i * k + e];
    for (let j = 0; j < c; j++) o[i * c + j] += v * b[e * c + j];
  }
  return o;
}

/** The released __lin_cka_dist on X, Y (n × d): centre each feature, ‖Y_cᵀX_c‖²_F / (‖X_cᵀX_c‖_F ‖Y_cᵀY_c‖_F), D × D. */
function linCkaFeatures(x: Float64Array, y: Float64Array, n: number, d: number): number {
  const centre = (z: Float64Array): Float64Array => {
    const o = Float64Array.from(z);
    for (let e = 0; e < d; e++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += z[i * d + e];
      for (let i = 0; i < n; i++) o[i * d + e] -= m / n;
    }
    return o;
  };
  const xc = centre(x), yc = centre(y);
  const cross = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) {
      let v = 0;
      for (let i = 0; i < n; i++) v += a[i * d + p] * b[i * d + q];
      s += v * v;
    }
    return s;
  };
  return 1 - cross(yc, xc) / (Math.sqrt(cross(xc, xc)) * Math.sqrt(cross(yc, yc)));
}

const n = 9, d = 6;

test('lin_cka: D × D products and N × N Gram matrices agree; both lin_cka_prime branches from the same Grams', () => {
  const x = randomMatrix(n, d), y = randomMatrix(n, d);
  for (let i = 0; i < n * d; i++) y[i] += 0.7 * x[i];
  const a = new NormalisedGram(gram(x, n, d), n), b = new NormalisedGram(gram(y, n, d), n);
  assert.ok(Math.abs(linCka(a, b) - linCkaFeatures(x, y, n, d)) < 1e-12, `${linCka(a, b)} vs ${linCkaFeatures(x, y, n, d)}`);
  assert.ok(Math.abs(a.trace - 1) < 1e-14);
  // D ≤ N branch: 1 − 2⟨K̂_A,K̂_B⟩/2 = 1 − ⟨K̂_A,K̂_B⟩; D > N branch: ‖K̂_A − K̂_B‖²/2 — different numbers
  const low = linCkaPrime(a, b, n), high = linCkaPrime(a, b, n + 1);
  assert.ok(Math.abs(high - low) > 1e-3, `the two branches coincide: ${low} ${high}`);
});

test('lin_cka: invariant under an orthogonal transform and an isotropic scaling of the features', () => {
  const x = randomMatrix(n, d), y = randomMatrix(n, d);
  for (let i = 0; i < n * d; i++) y[i] = 0.5 * y[i] + x[i] * x[i];
  const base = linCka(new NormalisedGram(gram(x, n, d), n), new NormalisedGram(gram(y, n, d), n));
  const xq = matmul(x, orthogonal(d), n, d, d).map((v) => 3.7 * v);
  const yq = matmul(y, orthogonal(d), n, d, d).map((v) => 0.02 * v);
  const moved = linCka(new NormalisedGram(gram(xq, n, d), n), new NormalisedGram(gram(yq, n, d), n));
  assert.ok(Math.abs(moved - base) < 1e-12, `${moved} vs ${base}`);
  assert.ok(base > 1e-3, 'a non-trivial distance');
  // procrustes too (trace-normalised, orthogonally invariant)
  const p0 = procrustes(new NormalisedGram(gram(x, n, d), n), new NormalisedGram(gram(y, n, d), n));
  const p1 = procrustes(new NormalisedGram(gram(xq, n, d), n), new NormalisedGram(gram(yq, n, d), n));
  assert.ok(Math.abs(p0 - p1) < 1e-12, `${p0} vs ${p1}`);
});

test('procrustes: X vs X Q is 0 (an orthogonal map is the optimal alignment); nuclear norm of identical features is 1', () => {
  const x = randomMatrix(n, d);
  const a = new NormalisedGram(gram(x, n, d), n);
  const b = new NormalisedGram(gram(matmul(x, orthogonal(d), n, d, d), n, d), n);
  assert.ok(Math.abs(procrustes(a, b)) < 1e-12, `${procrustes(a, b)}`);
  assert.ok(Math.abs(nuclearNorm(a, a) - 1) < 1e-12);
});

test('Jacobi: eigenpairs reconstruct a symmetric matrix; singular values match the eigenvalues of AᵀA', () => {
  const m = 7, r = randomMatrix(m, m), s = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) s[i * m + j] = r[i * m + j] + r[j * m + i];
  const { values, vectors } = symmetricEigen(s, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    let v = 0;
    for (let k = 0; k < m; k++) v += vectors[i * m + k] * values[k] * vectors[j * m + k];
    assert.ok(Math.abs(v - s[i * m + j]) < 1e-12, `A[${i}][${j}]`);
  }
  const a = randomMatrix(5, 3);
  const sv = [...singularValues(a, 5, 3)].sort((p, q) => p - q);
  const ata = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 5; k++) ata[i * 3 + j] += a[k * 3 + i] * a[k * 3 + j];
  const ev = [...symmetricEigen(ata, 3).values].sort((p, q) => p - q);
  sv.forEach((v, i) => assert.ok(Math.abs(v * v - ev[i]) < 1e-12, `σ${i}² ${v * v} vs ${ev[i]}`));
});

test('GramStore: any chunking gives the same Gram matrices (cross-chunk blocks included)', () => {
  const nn = 7, dd = 5;
  const lanes = [Float32Array.from(randomMatrix(nn, dd)), Float32Array.from(randomMatrix(nn, dd))];
  const fill = (sizes: number[]): GramStore => {
    const st = new GramStore(nn, 2, [[0, 0], [0, 1], [1, 1]]);
    let s = 0;
    for (const c of sizes) {
      st.add(lanes.map((l) => l.slice(s * dd, (s + c) * dd)), s, c, dd, 'test');
      s += c;
    }
    return st;
  };
  const one = fill([7]), many = fill([3, 1, 3]);
  const u = [0.3, -1.2];
  assert.equal([...many.combination(u, u)], [...one.combination(u, u)]);
  assert.equal([...many.combination([1, 0], [0, 1])], [...one.combination([1, 0], [0, 1])]);
  // K_01[i][j] = ⟨X_0[i], X_1[j]⟩
  const k01 = one.combination([1, 0], [0, 1]);
  let v = 0;
  for (let e = 0; e < dd; e++) v += lanes[0][2 * dd + e] * lanes[1][5 * dd + e];
  assert.ok(Math.abs(k01[2 * nn + 5] - v) < 1e-12);
  assert.throws(() => fill([3]).add(lanes.map((l) => l.slice(0, 3 * dd)), 0, 3, dd, 'again'), /out of order/);
});

test('vanilla / abs_div: JSON states of two halves merge to the single pass', () => {
  const stats = (len: number) => {
    const dot = Float64Array.from({ length: len }, gauss), ff = Float64Array.from({ length: len }, () => 4 + rand()), gg = Float64Array.from({ length: len }, () => 3 + rand());
    return { dot, ff, gg };
  };
  const s1 = stats(5), s2 = stats(4);
  const whole = new VanillaAccumulator(), left = new VanillaAccumulator(), right = new VanillaAccumulator();
  whole.add(s1, 'a');
  whole.add(s2, 'b');
  left.add(s1, 'a');
  right.add(s2, 'b');
  left.merge(JSON.parse(JSON.stringify(right.state())));
  const [w, m] = [whole.summary(), left.summary()];
  assert.ok(Math.abs(w.dist - m.dist) < 1e-14 && Math.abs(w.distMean - m.distMean) < 1e-14 && Math.abs(w.distStd! - m.distStd!) < 1e-14);
  const abs = new AbsDivAccumulator();
  abs.add({ a: Float64Array.of(2, 6), b: Float64Array.of(4, 3) }, 'x');
  assert.equal(abs.summary(), { dist: 8 / 7, distMean: (0.5 + 2) / 2, distStd: Math.sqrt(((0.5 - 1.25) ** 2 + (2 - 1.25) ** 2) / 1), samples: 2 });
});

test.run();
