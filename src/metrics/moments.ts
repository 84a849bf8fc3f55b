// Float64 building blocks of the streaming accumulators, each with a JSON state and a merge, so that
// a sweep split over samples (sweep/shard.ts) reduces to the numbers of one run, to rounding:
//
// CompensatedSum (Neumaier): s + c, where c collects each addition's rounding error; merging adds
//   the other's s and c. The error is O(ε²·Σ|x|), so the rounded total hardly ever depends on the
//   order or grouping of the additions.
// RunningMoments (Welford about a shift): y = x − x₀ with x₀ the first value seen, then
//   δ = y − μ, μ += δ/n, M2 += δ·(y − μ); mean = x₀ + μ, unbiased variance M2/(n − 1). The shift
//   keeps deviations exact when the values barely vary (a coefficient of 1 ± 1e−9). Merge (Chan
//   et al.): the other's μ re-expressed about this shift, δ = μ_b − μ_a, n = n_a + n_b,
//   μ = μ_a + δ·n_b/n, M2 = M2_a + M2_b + δ²·n_a·n_b/n.
import { stateNumbers } from './accumulator.js';

export class CompensatedSum {
  private s = 0;
  private c = 0;

  static fromState(state: unknown, where: string): CompensatedSum {
    const v = stateNumbers(state, ['sum', 'err'], where);
    const r = new CompensatedSum();
    [r.s, r.c] = [v.sum, v.err];
    return r;
  }

  toState(): { sum: number; err: number } {
    return { sum: this.s, err: this.c };
  }

  add(x: number): void {
    const t = this.s + x;
    this.c += Math.abs(this.s) >= Math.abs(x) ? this.s - t + x : x - t + this.s;
    this.s = t;
  }

  merge(o: CompensatedSum): void {
    this.add(o.s);
    this.c += o.c;
  }

  get value(): number {
    return this.s + this.c;
  }
}

export class RunningMoments {
  private n = 0;
  private shift = 0;
  private mu = 0;
  private m2 = 0;

  static fromState(state: unknown, where: string): RunningMoments {
    const s = stateNumbers(state, ['n', 'shift', 'mean', 'm2'], where, ['n']);
    if (s.m2 < 0) throw new Error(`${where}: state field 'm2' is ${s.m2}, expected ≥ 0`);
    const r = new RunningMoments();
    [r.n, r.shift, r.mu, r.m2] = [s.n, s.shift, s.mean, s.m2];
    return r;
  }

  /** `mean` is the mean of x − shift. */
  toState(): { n: number; shift: number; mean: number; m2: number } {
    return { n: this.n, shift: this.shift, mean: this.mu, m2: this.m2 };
  }

  push(x: number): void {
    if (this.n === 0) this.shift = x;
    this.n++;
    const y = x - this.shift;
    const d = y - this.mu;
    this.mu += d / this.n;
    this.m2 += d * (y - this.mu);
  }

  /** The moments of this set followed by `o`'s (Chan et al.). */
  merge(o: RunningMoments): void {
    if (o.n === 0) return;
    if (this.n === 0) {
      [this.n, this.shift, this.mu, this.m2] = [o.n, o.shift, o.mu, o.m2];
      return;
    }
    const n = this.n + o.n;
    const d = o.mu + (o.shift - this.shift) - this.mu;
    this.mu += (d * o.n) / n;
    this.m2 += o.m2 + (d * d * this.n * o.n) / n;
    this.n = n;
  }

  get count(): number {
    return this.n;
  }

  get mean(): number {
    return this.n === 0 ? NaN : this.shift + this.mu;
  }

  /** Unbiased (n − 1); null when fewer than 2 values. */
  get std(): number | null {
    return this.n < 2 ? null : Math.sqrt(this.m2 / (this.n - 1));
  }
}
