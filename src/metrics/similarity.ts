// Streaming feature-similarity metrics (the paper's released code, float64 throughout), fed chunk by
// chunk with per-sample FeatureStats {dot_n = ⟨F_n,G_n⟩, ff_n = ‖F_n‖², gg_n = ‖G_n‖²}; nothing
// grows with the number of samples.
//
// Whole set:  dist = 1 − |dot| / sqrt(ff·gg),  coef = dot / gg  (dot, ff, gg summed over samples).
// Per sample: dist_n, coef_n the same per n, mean and unbiased (n−1) std (null when N < 2);
//             cos_n = dot_n / sqrt(ff_n·gg_n), mean over samples.
// Zero norms: when ff·gg = 0: dist = 0 and cos = 1 if both are zero, else dist = 1 and cos = 0.
//             When gg = 0: coef = 1 if ff = 0 too, else 0.
//
// Shards of samples combine exactly (metrics/accumulator.ts): the sums (compensated) add, and the
// per-sample means and variances merge by Chan et al.'s parallel formula (moments.ts), equal to the
// sequential run to rounding.
import type { FeatureStats } from '../backends/backend.js';
import { registerAccumulator, sameKind, type Mergeable } from './accumulator.js';
import { CompensatedSum, RunningMoments } from './moments.js';

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
export class SimilarityAccumulator implements Mergeable {
  readonly kind = 'similarity';
  private dot = new CompensatedSum();
  private ff = new CompensatedSum();
  private gg = new CompensatedSum();
  private dist = new RunningMoments();
  private coef = new RunningMoments();
  private cos = new RunningMoments();

  static fromState(state: unknown, where: string): SimilarityAccumulator {
    if (typeof state !== 'object' || state === null) throw new Error(`${where}: expected an object state, got ${JSON.stringify(state)}`);
    const a = new SimilarityAccumulator();
    const m = state as Record<string, unknown>;
    a.dot = CompensatedSum.fromState(m.dot, `${where} dot`);
    a.ff = CompensatedSum.fromState(m.ff, `${where} ff`);
    a.gg = CompensatedSum.fromState(m.gg, `${where} gg`);
    if (a.ff.value < 0 || a.gg.value < 0) throw new Error(`${where}: state has a negative squared norm (ff ${a.ff.value}, gg ${a.gg.value})`);
    a.dist = RunningMoments.fromState(m.dist, `${where} dist`);
    a.coef = RunningMoments.fromState(m.coef, `${where} coef`);
    a.cos = RunningMoments.fromState(m.cos, `${where} cos`);
    const counts = [a.dist, a.coef, a.cos].map((r) => r.count);
    if (counts.some((c) => c !== counts[0])) throw new Error(`${where}: state counts differ (dist ${counts[0]}, coef ${counts[1]}, cos ${counts[2]})`);
    return a;
  }

  toState(): unknown {
    return { dot: this.dot.toState(), ff: this.ff.toState(), gg: this.gg.toState(), dist: this.dist.toState(), coef: this.coef.toState(), cos: this.cos.toState() };
  }

  /** The samples of `other` added to this comparison: sums add, moments merge (Chan et al.). */
  merge(other: Mergeable): void {
    const o = sameKind(this, other);
    this.dot.merge(o.dot);
    this.ff.merge(o.ff);
    this.gg.merge(o.gg);
    this.dist.merge(o.dist);
    this.coef.merge(o.coef);
    this.cos.merge(o.cos);
  }

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
      this.dot.add(dot);
      this.ff.add(ff);
      this.gg.add(gg);
      this.dist.push(distance(dot, ff, gg));
      this.coef.push(coefficient(dot, ff, gg));
      this.cos.push(cosine(dot, ff, gg));
    }
  }

  summary(): SimilaritySummary {
    const [dot, ff, gg] = [this.dot.value, this.ff.value, this.gg.value];
    return {
      dist: distance(dot, ff, gg),
      coef: coefficient(dot, ff, gg),
      distMean: this.dist.mean,
      distStd: this.dist.std,
      coefMean: this.coef.mean,
      coefStd: this.coef.std,
      cosMean: this.cos.mean,
      samples: this.dist.count,
    };
  }
}

registerAccumulator('similarity', SimilarityAccumulator.fromState);
