// The released code's pooled dissimilarities (dissimilarity.py, DissimilarityMetric: __preprocess,
// __lin_cka_dist, __lin_cka_prime_dist, __procrustes) from N × N Gram matrices instead of the D × N
// features. __preprocess flattens A to (N, D), transposes to X (D × N), centres each feature over the
// samples and divides by ‖X_c‖_F. With K = XᵀX (N × N) and H = I − 11ᵀ/N:
//   centred Gram  K_c = H K H,   ‖X_c‖²_F = tr K_c,   normalised  K̂ = K_c / tr K_c
//   ‖B Aᵀ‖²_F = ⟨K̂_A, K̂_B⟩,   ‖A Aᵀ‖_F = ‖K̂_A‖_F,   ΣA² = tr K̂_A,   AᵀA = K̂_A
//   lin_cka       = 1 − ⟨K̂_A,K̂_B⟩ / (‖K̂_A‖_F ‖K̂_B‖_F)
//   lin_cka_prime = Σ(K̂_A − K̂_B)² / ((tr K̂_A)² + (tr K̂_B)²)   when D > N (A has more rows than columns)
//                 = 1 − 2⟨K̂_A,K̂_B⟩ / ((tr K̂_A)² + (tr K̂_B)²)   otherwise (the released branch rule;
//                   the two are different quantities unless both Gram matrices have rank 1)
//   procrustes    = tr K̂_A + tr K̂_B − 2‖A Bᵀ‖_*, where with K̂ = V Λ Vᵀ (Jacobi) the singular values
//                   of A Bᵀ are those of C = Λ_A^{1/2} V_Aᵀ V_B Λ_B^{1/2} (one-sided Jacobi, no squaring);
//                   eigenvalues at or below 64·ε·N·max λ are rounding of exact zeros (centring makes
//                   one) and are dropped.
import { singularValues, symmetricEigen } from './jacobi.js';

/** K̂ = H K H / tr(H K H) of a symmetric N × N Gram matrix, with its eigenpairs once asked for. */
export class NormalisedGram {
  readonly k: Float64Array;
  readonly trace: number;
  private eig?: { sqrtValues: Float64Array; vectors: Float64Array; kept: number[] };
  constructor(gram: Float64Array, readonly n: number) {
    const row = new Float64Array(n);
    let all = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += gram[i * n + j];
      row[i] = s / n;
      all += s;
    }
    all /= n * n;
    const kc = new Float64Array(n * n);
    let tr = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) kc[i * n + j] = gram[i * n + j] - row[i] - row[j] + all;
      tr += kc[i * n + i];
    }
    for (let i = 0; i < n * n; i++) kc[i] /= tr;
    let t = 0;
    for (let i = 0; i < n; i++) t += kc[i * n + i];
    this.k = kc;
    this.trace = t;
  }

  /** √λ of the eigenvalues kept (above the rounding floor) and all eigenvectors. */
  spectrum(): { sqrtValues: Float64Array; vectors: Float64Array; kept: number[] } {
    if (!this.eig) {
      const { values, vectors } = symmetricEigen(this.k, this.n);
      const floor = 64 * Number.EPSILON * this.n * Math.max(...values.map(Math.abs));
      const kept: number[] = [];
      values.forEach((v, i) => {
        if (v > floor) kept.push(i);
      });
      this.eig = { sqrtValues: values.map((v) => (v > floor ? Math.sqrt(v) : 0)), vectors, kept };
    }
    return this.eig;
  }
}

function inner(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function linCka(a: NormalisedGram, b: NormalisedGram): number {
  return 1 - inner(a.k, b.k) / (Math.sqrt(inner(a.k, a.k)) * Math.sqrt(inner(b.k, b.k)));
}

/** `d`: the flattened feature size D of A (the released code tests A.shape[0] > A.shape[1]). */
export function linCkaPrime(a: NormalisedGram, b: NormalisedGram, d: number): number {
  const den = a.trace * a.trace + b.trace * b.trace;
  if (d > a.n) {
    let s = 0;
    for (let i = 0; i < a.k.length; i++) s += (a.k[i] - b.k[i]) ** 2;
    return s / den;
  }
  return 1 - (2 * inner(a.k, b.k)) / den;
}

/** ‖A Bᵀ‖_* of the normalised features behind two Gram matrices. */
export function nuclearNorm(a: NormalisedGram, b: NormalisedGram): number {
  const n = a.n, sa = a.spectrum(), sb = b.spectrum();
  const ra = sa.kept.length, rb = sb.kept.length;
  if (ra === 0 || rb === 0) return 0;
  const c = new Float64Array(ra * rb);
  for (let x = 0; x < ra; x++) {
    const p = sa.kept[x];
    for (let y = 0; y < rb; y++) {
      const q = sb.kept[y];
      let s = 0;
      for (let i = 0; i < n; i++) s += sa.vectors[i * n + p] * sb.vectors[i * n + q];
      c[x * rb + y] = sa.sqrtValues[p] * s * sb.sqrtValues[q];
    }
  }
  const sv = ra >= rb ? singularValues(c, ra, rb) : singularValues(transpose(c, ra, rb), rb, ra);
  return sv.reduce((s, v) => s + v, 0);
}

function transpose(c: Float64Array, r: number, k: number): Float64Array {
  const t = new Float64Array(r * k);
  for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) t[j * r + i] = c[i * k + j];
  return t;
}

export function procrustes(a: NormalisedGram, b: NormalisedGram): number {
  return a.trace + b.trace - 2 * nuclearNorm(a, b);
}
