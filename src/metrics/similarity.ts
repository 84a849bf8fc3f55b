// Streaming feature-similarity metrics (the paper's released code, float64 throughout), fed chunk by
// chunk with per-sample FeatureStats {dot_n = ⟨F_n,G_n⟩, ff_n = ‖F_n‖², gg_n = ‖G_n‖²}; nothing
// grows with the number of samples.
//
// Whole set:  dist = 1 − |dot| / sqrt(ff·gg),  coef = dot / gg  (dot, ff, gg summed over samples).
// Per sample: dist_n, coef_n the same per n, mean and unbiased (n−1) std (null when N < 2);
//             cos_n = dot_n / sqrt(ff_n·gg_n), mean over samples.
// Zero norms: when ff·gg = 0: dist = 0 and cos = 1 if both are zero, else dist = 1 and cos = 0.
//             When gg = 0: coef = 1 if ff = 0 too, else 0.
import type { FeatureStats } from '../backends/backend.js';

/** 1 − |dot| / sqrt(ff·gg), with the zero-norm rule. */
export function distance(dot: number, ff: number, gg: number): number {
  if (ff === 0 || gg === 0) return ff === 0 && gg === 0 ? 0 : 1;
  return 1 - Math.abs(dot) / (Math.sqrt(ff) * Math.sqrt(gg));
}

/** dot / gg, with the zero-norm rule. */
export function coefficient(dot: number, ff: number, gg: number): number {
  if (gg === 0) return ff === 0 ? 1 : 0;
  return dot / gg;
}

/** dot / sqrt(ff·gg) (signed), with the zero-norm rule. */
export function cosine(dot: number, ff: number, gg: number): number {
  if (ff === 0 || gg === 0) return ff === 0 && gg === 0 ? 1 : 0;
  return dot / (Math.sqrt(ff) * Math.sqrt(gg));
}

/** Running mean and unbiased variance (Welford), float64. */
class RunningMoments {
  private n = 0;
  private mu = 0;
  private m2 = 0;

  push(x: number): void {
    this.n++;
    const d = x - this.mu;
    this.mu += d / this.n;
    this.m2 += d * (x - this.mu);
  }

  get count(): number {
    return this.n;
  }

  get mean(): number {
    return this.n === 0 ? NaN : this.mu;
  }

  /** Unbiased (n − 1); null when fewer than 2 values. */
  get std(): number | null {
    return this.n < 2 ? null : Math.sqrt(this.m2 / (this.n - 1));
  }
}

export interface SimilaritySummary {
  dist: number;
  coef: number;
  distMean: number;
  distStd: number | null;
  coefMean: number;
  coefStd: number | null;
  cosMean: number;
  samples: number;
}

/** Accumulates one comparison (F vs G) at one hook over all chunks. */
export class SimilarityAccumulator {
  private dot = 0;
  private ff = 0;
  private gg = 0;
  private readonly dist = new RunningMoments();
  private readonly coef = new RunningMoments();
  private readonly cos = new RunningMoments();

  /** Adds one chunk's per-sample stats; `where` names the row and layer for the error message. */
  add(s: FeatureStats, where: string): void {
    const n = s.dot.length;
    if (s.ff.length !== n || s.gg.length !== n) {
      throw new Error(`${where}: feature stats of different lengths (${n}, ${s.ff.length}, ${s.gg.length})`);
    }
    for (let i = 0; i < n; i++) {
      const dot = s.dot[i];
      const ff = s.ff[i];
      const gg = s.gg[i];
      if (!Number.isFinite(ff)) throw new Error(`${where}: NaN or Inf in the features (sample ${i} of the chunk)`);
      if (!Number.isFinite(gg)) {
        throw new Error(`${where}: NaN or Inf in the combined basis features (sample ${i} of the chunk)`);
      }
      if (!Number.isFinite(dot)) throw new Error(`${where}: features overflow (⟨F,G⟩ is ${dot}, sample ${i} of the chunk)`);
      this.dot += dot;
      this.ff += ff;
      this.gg += gg;
      this.dist.push(distance(dot, ff, gg));
      this.coef.push(coefficient(dot, ff, gg));
      this.cos.push(cosine(dot, ff, gg));
    }
  }

  summary(): SimilaritySummary {
    return {
      dist: distance(this.dot, this.ff, this.gg),
      coef: coefficient(this.dot, this.ff, this.gg),
      distMean: this.dist.mean,
      distStd: this.dist.std,
      coefMean: this.coef.mean,
      coefStd: this.coef.std,
      cosMean: this.cos.mean,
      samples: this.dist.count,
    };
  }
}
