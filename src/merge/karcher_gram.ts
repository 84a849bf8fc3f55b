// karcher on the Gram matrix G_jk = x_j·x_k of its inputs (native/ops/merge_gram.cpp): every iterate
// u of methods/karcher.ts is a combination Σ_j β_j ū_j of the unit inputs ū_j = x_j/|x_j|, so the
// fixed-point iteration runs on β with dots u·ū_k = (Uβ)_k and norms |Σ γ_j ū_j|² = γᵀUγ,
// U_jk = G_jk / (|x_j||x_k|); the merged tensor is Σ_j (s·β_j/|x_j|) x_j, s the mean norm (one
// linear pass). Same steps, tolerances and branches as karcherMean.

/** G: the upper triangle in row order (0,0) (0,1) … (1,1) …, M(M+1)/2 sums. Returns the weight of
 *  each input in the merged tensor (0 for the inputs with norm ≤ tol; all 0: the result is 0). */
export function karcherCoefficients(G: Float64Array, M: number, maxIter: number, tol: number): Float64Array {
  const at = (a: number, b: number): number => (a <= b ? a * M - (a * (a - 1)) / 2 + (b - a) : at(b, a));
  const norms = Array.from({ length: M }, (_, j) => Math.sqrt(G[at(j, j)]));
  const coef = new Float64Array(M);
  const valid = norms.map((v, i) => i).filter((i) => norms[i] > tol);
  if (valid.length === 0) return coef;
  const V = valid.length;
  const U = valid.map((j) => valid.map((k) => G[at(j, k)] / (norms[j] * norms[k])));
  const asum = valid.reduce((s) => s + 1 / M, 0);
  const a = valid.map(() => 1 / M / asum); // equal weights over the valid inputs
  const dots = (b: number[]) => U.map((row) => row.reduce((s, ujk, k) => s + ujk * b[k], 0));
  const norm = (b: number[]) => Math.sqrt(Math.max(0, dots(b).reduce((s, v, j) => s + v * b[j], 0)));
  let beta = a.slice();
  const nu = norm(beta);
  beta = nu < tol ? valid.map((_, j) => (j === 0 ? 1 : 0)) : beta.map((v) => v / nu);
  for (let it = 0; it < maxIter; it++) {
    const c = dots(beta).map((v) => Math.min(1, Math.max(-1, v)));
    const T = new Array<number>(V).fill(0);
    for (let j = 0; j < V; j++) {
      const theta = Math.acos(c[j]);
      if (theta < tol) continue;
      const s = (a[j] * theta) / Math.sin(theta);
      T[j] += s;
      for (let k = 0; k < V; k++) T[k] -= s * c[j] * beta[k];
    }
    const nT = norm(T);
    if (nT < tol) break;
    const cs = Math.cos(nT), sn = Math.sin(nT) / nT;
    beta = beta.map((v, k) => cs * v + sn * T[k]);
    const un = norm(beta);
    if (un > tol) beta = beta.map((v) => v / un);
  }
  const scale = norms.reduce((s, v) => s + (1 / M) * v, 0);
  valid.forEach((j, k) => { coef[j] = (scale * beta[k]) / norms[j]; });
  return coef;
}
