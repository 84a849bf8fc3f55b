// Small dense float64 linear algebra for the pooled metrics (N × N, N = samples): the cyclic Jacobi
// eigen-solver for symmetric matrices and the one-sided (Hestenes) Jacobi SVD's singular values.
// Both rotate until every off-diagonal pair is below ~ε relative, so small eigen/singular values
// keep an absolute error of about ε·‖A‖ (no squaring of the matrix).

export interface SymmetricEigen {
  /** Eigenvalues λ_k (unsorted). */
  values: Float64Array;
  /** Eigenvectors, column k at [i·n + k]. */
  vectors: Float64Array;
}

/** A = V diag(λ) Vᵀ for symmetric A (n × n, row-major; not modified), cyclic Jacobi. */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new Error(`symmetricEigen: expected ${n}×${n} values, got ${a.length}`);
  const m = Float64Array.from(a);
  // eigenvectors as rows (vt[k·n + i] = V[i][k]) so each rotation updates two contiguous rows
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    }
    if (off <= 1e-30 * diag || off === 0) break; // |off-diagonal| ≤ 1e-15 ‖A‖: eigenvalues to rounding
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const app = m[p * n + p], aqq = m[q * n + q];
        // rotation angle zeroing A[p][q]: t = tan θ, the smaller root of t² + 2τt − 1 = 0
        const tau = (aqq - app) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        // A' = Jᵀ A J on rows/columns p and q (A stays symmetric: row and column written together)
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const akp = m[p * n + k], akq = m[q * n + k];
          const np = c * akp - s * akq, nq = s * akp + c * akq;
          m[p * n + k] = m[k * n + p] = np;
          m[q * n + k] = m[k * n + q] = nq;
        }
        m[p * n + p] = app - t * apq;
        m[q * n + q] = aqq + t * apq;
        m[p * n + q] = m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vp = vt[p * n + k], vq = vt[q * n + k];
          vt[p * n + k] = c * vp - s * vq;
          vt[q * n + k] = s * vp + c * vq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) vectors[i * n + k] = vt[k * n + i];
  return { values, vectors };
}

/** Singular values of A (rows × cols, row-major; not modified), one-sided Jacobi on the columns. */
export function singularValues(a: Float64Array, rows: number, cols: number): Float64Array {
  if (a.length !== rows * cols) throw new Error(`singularValues: expected ${rows}×${cols} values, got ${a.length}`);
  // columns stored contiguously: u[j·rows + i] = A[i][j]
  const u = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) u[j * rows + i] = a[i * cols + j];
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = u[p * rows + i], y = u[q * rows + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue; // columns orthogonal to 1e-15
        rotated = true;
        // rotation making columns p and q orthogonal: ζ = (β − α)/(2γ), t = sign(ζ)/(|ζ| + √(1+ζ²))
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < rows; i++) {
          const x = u[p * rows + i], y = u[q * rows + i];
          u[p * rows + i] = c * x - s * y;
          u[q * rows + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const out = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += u[j * rows + i] * u[j * rows + i];
    out[j] = Math.sqrt(s);
  }
  return out;
}
