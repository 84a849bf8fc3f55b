// The pooled metrics' accumulation at one hook: N × N Gram matrices K_pq[n][m] = ⟨X_p[n], X_q[m]⟩
// (float64 sums of float32 products) between feature lanes p, q (the basis models, the rows with
// features of their own), filled chunk pair by chunk pair as the chunks stream past. A sample pair
// (n, m) from chunks a < c needs both chunks' features, so every chunk's features stay on the host
// until the last chunk has arrived: one pass over the inputs, at the memory below.
//   bytes = lanes·N·D·4 (kept float32 features) + pairs·N²·8 (float64 Gram matrices)
// A combination's Gram matrix Σ_ij u_i v_j K_ij follows from the basis pairs (K_ji = K_ijᵀ).

/** Host bytes a store of `lanes` feature lanes and `pairs` Gram matrices needs for N samples of size D. */
export function gramStoreBytes(n: number, d: number, lanes: number, pairs: number): number {
  return lanes * n * d * 4 + pairs * n * n * 8;
}

export class GramStore {
  private readonly chunks: { start: number; count: number; x: Float32Array[] }[] = [];
  private readonly grams = new Map<string, Float64Array>();
  private filled = 0;
  d = -1;

  /** `pairs`: the (p, q) with p ≤ q whose Gram matrices are kept. */
  constructor(readonly n: number, readonly lanes: number, readonly pairs: readonly (readonly [number, number])[]) {
    for (const [p, q] of pairs) this.grams.set(`${p},${q}`, new Float64Array(n * n));
  }

  /** One chunk's features per lane (count × d each, row-major), samples start..start+count−1. */
  add(x: readonly Float32Array[], start: number, count: number, d: number, where: string): void {
    if (x.length !== this.lanes) throw new Error(`${where}: ${x.length} feature lanes, expected ${this.lanes}`);
    if (this.d < 0) this.d = d;
    if (d !== this.d) throw new Error(`${where}: feature size ${d}, earlier chunks had ${this.d}`);
    if (start !== this.filled || start + count > this.n) throw new Error(`${where}: chunk ${start}..${start + count} out of order (have ${this.filled} of ${this.n})`);
    x.forEach((t, p) => {
      if (t.length !== count * d) throw new Error(`${where}: lane ${p} has ${t.length} values, expected ${count}×${d}`);
    });
    const cur = { start, count, x: [...x] };
    this.chunks.push(cur);
    for (const [p, q] of this.pairs) {
      const k = this.grams.get(`${p},${q}`)!;
      for (const old of this.chunks) {
        // K_pp is symmetric: each block once, mirrored (and within a chunk, the upper triangle only)
        this.block(k, cur.x[p], cur.start, cur.count, old.x[q], old.start, old.count, p === q);
        if (old !== cur && p !== q) this.block(k, old.x[p], old.start, old.count, cur.x[q], cur.start, cur.count, false);
      }
    }
    this.filled += count;
    if (this.filled === this.n) this.chunks.length = 0; // every pair is in: the features can go
  }

  // K[r][c] = Σ_e X[r][e]·Y[c][e] for the rows of one chunk and the columns of another; `mirror`:
  // also K[c][r] (a symmetric K), skipping c < r when both are the same chunk
  private block(k: Float64Array, x: Float32Array, r0: number, nr: number, y: Float32Array, c0: number, nc: number, mirror: boolean): void {
    const d = this.d, n = this.n;
    for (let r = 0; r < nr; r++) {
      const xo = r * d;
      for (let c = mirror && r0 === c0 ? r : 0; c < nc; c++) {
        const yo = c * d;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, e = 0;
        for (; e + 4 <= d; e += 4) {
          s0 += x[xo + e] * y[yo + e];
          s1 += x[xo + e + 1] * y[yo + e + 1];
          s2 += x[xo + e + 2] * y[yo + e + 2];
          s3 += x[xo + e + 3] * y[yo + e + 3];
        }
        for (; e < d; e++) s0 += x[xo + e] * y[yo + e];
        k[(r0 + r) * n + c0 + c] = s0 + s1 + s2 + s3;
        if (mirror) k[(c0 + c) * n + r0 + r] = s0 + s1 + s2 + s3;
      }
    }
  }

  get complete(): boolean {
    return this.filled === this.n;
  }

  /** Σ_p Σ_q u_p v_q K_pq over the lanes (zero coefficients skipped), N × N. */
  combination(u: ArrayLike<number>, v: ArrayLike<number>): Float64Array {
    const n = this.n, out = new Float64Array(n * n);
    for (let p = 0; p < u.length; p++) {
      if (u[p] === 0) continue;
      for (let q = 0; q < v.length; q++) {
        if (v[q] === 0) continue;
        const w = u[p] * v[q];
        const k = this.grams.get(p <= q ? `${p},${q}` : `${q},${p}`);
        if (!k) throw new Error(`GramStore: no Gram matrix of lanes ${p} and ${q}`);
        if (p <= q) for (let i = 0; i < n * n; i++) out[i] += w * k[i];
        else for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] += w * k[j * n + i];
      }
    }
    return out;
  }
}
