// The released code's per-sample-summable dissimilarities (dissimilarity.py, DissimilarityMetric and
// DissimilarityMetricOverSamples `__vanilla`, `__abs_div`), streamed: every chunk adds its per-sample
// sums; nothing grows with the number of samples. A = the row's features F (or a basis combination),
// B = the combination compared with, both N × D.
//   vanilla: ‖A − B‖² / (‖A‖‖B‖), with ‖A − B‖² = ‖A‖² + ‖B‖² − 2⟨A,B⟩ (featureProducts sums)
//   abs_div: Σ|A| / Σ|B|
// Whole set: the sums over all samples; per sample: the same per n, mean and unbiased (n − 1) std
// (null when N < 2). The released code has no coefficient for these: coef is 0 (abs_div returns 0.).
// Zero norms divide as IEEE does (Inf/NaN, written as null), as torch would.
import type { FeatureStats } from '../backends/backend.js';

/** Per-sample Σ|A_n| and Σ|B_n|. */
export interface AbsStats {
  a: Float64Array;
  b: Float64Array;
}

/** Running mean and unbiased variance (Welford), mergeable (Chan et al.), JSON-serialisable. */
export interface MomentsState {
  n: number;
  mean: number;
  m2: number;
}

export function pushMoment(s: MomentsState, x: number): void {
  s.n++;
  const d = x - s.mean;
  s.mean += d / s.n;
  s.m2 += d * (x - s.mean);
}

export function mergeMoments(s: MomentsState, o: MomentsState): void {
  if (o.n === 0) return;
  const n = s.n + o.n, d = o.mean - s.mean;
  s.mean += (d * o.n) / n;
  s.m2 += o.m2 + (d * d * s.n * o.n) / n;
  s.n = n;
}

const std = (s: MomentsState): number | null => (s.n < 2 ? null : Math.sqrt(s.m2 / (s.n - 1)));

export interface ElementwiseSummary {
  dist: number;
  distMean: number;
  distStd: number | null;
  samples: number;
}

/** State of a vanilla or abs_div accumulator: whole-set sums and the per-sample moments. */
export interface ElementwiseState {
  sums: number[];
  per: MomentsState;
}

abstract class ElementwiseAccumulator<S> {
  protected st: ElementwiseState;
  constructor(sums: number) {
    this.st = { sums: new Array<number>(sums).fill(0), per: { n: 0, mean: 0, m2: 0 } };
  }
  abstract add(s: S, where: string): void;
  protected abstract whole(sums: readonly number[]): number;

  state(): ElementwiseState {
    return { sums: [...this.st.sums], per: { ...this.st.per } };
  }

  merge(o: ElementwiseState): void {
    o.sums.forEach((v, i) => (this.st.sums[i] += v));
    mergeMoments(this.st.per, o.per);
  }

  summary(): ElementwiseSummary {
    return { dist: this.whole(this.st.sums), distMean: this.st.per.n ? this.st.per.mean : NaN, distStd: std(this.st.per), samples: this.st.per.n };
  }
}

/** ‖A − B‖² / (‖A‖‖B‖) from ⟨A,B⟩, ‖A‖², ‖B‖². */
export function vanilla(dot: number, aa: number, bb: number): number {
  return (aa + bb - 2 * dot) / Math.sqrt(aa) / Math.sqrt(bb);
}

/** vanilla, fed the cosine's per-sample FeatureStats (dot, ff = ‖A‖², gg = ‖B‖²). */
export class VanillaAccumulator extends ElementwiseAccumulator<FeatureStats> {
  constructor() {
    super(3);
  }
  add(s: FeatureStats, where: string): void {
    const n = s.dot.length;
    if (s.ff.length !== n || s.gg.length !== n) throw new Error(`${where}: feature stats of different lengths (${n}, ${s.ff.length}, ${s.gg.length})`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(s.dot[i] + s.ff[i] + s.gg[i])) throw new Error(`${where}: NaN or Inf in the features (sample ${i} of the chunk)`);
      this.st.sums[0] += s.dot[i];
      this.st.sums[1] += s.ff[i];
      this.st.sums[2] += s.gg[i];
      pushMoment(this.st.per, vanilla(s.dot[i], s.ff[i], s.gg[i]));
    }
  }
  protected whole(sums: readonly number[]): number {
    return vanilla(sums[0], sums[1], sums[2]);
  }
}

/** Σ|A| / Σ|B|, fed per-sample absolute sums. */
export class AbsDivAccumulator extends ElementwiseAccumulator<AbsStats> {
  constructor() {
    super(2);
  }
  add(s: AbsStats, where: string): void {
    const n = s.a.length;
    if (s.b.length !== n) throw new Error(`${where}: absolute sums of different lengths (${n}, ${s.b.length})`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(s.a[i] + s.b[i])) throw new Error(`${where}: NaN or Inf in the features (sample ${i} of the chunk)`);
      this.st.sums[0] += s.a[i];
      this.st.sums[1] += s.b[i];
      pushMoment(this.st.per, s.a[i] / s.b[i]);
    }
  }
  protected whole(sums: readonly number[]): number {
    return sums[0] / sums[1];
  }
}

/** Per-sample Σ_d |Σ_j c_j X_j[n][d]| of a combination of host features (n × d each), float64. */
export function absSums(xs: readonly Float32Array[], c: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  const used: { x: Float32Array; w: number }[] = [];
  for (let j = 0; j < xs.length; j++) if (c[j] !== 0) used.push({ x: xs[j], w: c[j] });
  for (let s = 0; s < n; s++) {
    let acc = 0;
    const o = s * d;
    if (used.length === 1 && used[0].w === 1) {
      const x = used[0].x;
      for (let e = 0; e < d; e++) acc += Math.abs(x[o + e]);
    } else {
      for (let e = 0; e < d; e++) {
        let g = 0;
        for (const u of used) g += u.w * u.x[o + e];
        acc += Math.abs(g);
      }
    }
    out[s] = acc;
  }
  return out;
}
