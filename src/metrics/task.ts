// Task metrics on the host, float64: cross-entropy and accuracy from logits, loss barriers along an
// interpolation path, and the logit ensemble.
//
// loss = mean over label positions of −log softmax(z)[label] (natural log);
// accuracy = mean of (argmax z == label), ties → lowest index.
// Shards of samples combine exactly (metrics/accumulator.ts): loss sums (compensated), correct and
// position counts add.
import { registerAccumulator, sameKind, stateNumbers, type Mergeable } from './accumulator.js';
import { CompensatedSum } from './moments.js';
import { firstNonFinite } from '../util/finite.js';

/** Barriers of a loss curve between its two ends. */
export interface Barrier {
  /** max_α L(α) − ½(L_A + L_B) */
  midpoint: number;
  /** max_α [L(α) − (α L_A + (1−α) L_B)] */
  weighted: number;
}

export interface TaskMetrics {
  loss: number;
  accuracy: number;
}

/** Checks that labels have the logits' shape without the last dim; returns the class count. */
export function checkLabelShape(logitsShape: readonly number[], labelsShape: readonly number[], where: string): number {
  const want = logitsShape.slice(0, -1);
  if (labelsShape.length !== want.length || labelsShape.some((d, i) => d !== want[i])) {
    throw new Error(
      `${where}: labels have shape [${labelsShape.join(', ')}], expected [${want.join(', ')}] (the logits' shape [${logitsShape.join(', ')}] without the last dim)`,
    );
  }
  return logitsShape[logitsShape.length - 1];
}

/** Throws naming the first label outside [0, classes). */
export function checkLabelRange(labels: ArrayLike<number>, classes: number, where: string): void {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new Error(`${where}: label ${l} at position ${i} is out of range for ${classes} classes (expected 0..${classes - 1})`);
    }
  }
}

/** Streaming cross-entropy and accuracy over chunks of logits [..., C] with labels [...]. */
export class TaskAccumulator implements Mergeable {
  readonly kind = 'task';
  private lossSum = new CompensatedSum();
  private correct = 0;
  private count = 0;

  static fromState(state: unknown, where: string): TaskAccumulator {
    const s = stateNumbers(state, ['correct', 'count'], where, ['correct', 'count']);
    if (s.correct > s.count) throw new Error(`${where}: state has ${s.correct} correct of ${s.count} positions`);
    const t = new TaskAccumulator();
    t.lossSum = CompensatedSum.fromState((state as Record<string, unknown>).lossSum, `${where} lossSum`);
    if (t.lossSum.value < 0) throw new Error(`${where}: state has a negative loss sum ${t.lossSum.value}`);
    [t.correct, t.count] = [s.correct, s.count];
    return t;
  }

  toState(): unknown {
    return { lossSum: this.lossSum.toState(), correct: this.correct, count: this.count };
  }

  /** The positions of `other` added to these: loss sums and counts add. */
  merge(other: Mergeable): void {
    const o = sameKind(this, other);
    this.lossSum.merge(o.lossSum);
    this.correct += o.correct;
    this.count += o.count;
  }

  /** `logits` row-major with `classes` in the last dim; one label per row. */
  add(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, where: string): void {
    if (logits.length !== labels.length * classes) {
      throw new Error(`${where}: ${logits.length} logits do not match ${labels.length} labels × ${classes} classes`);
    }
    checkLabelRange(labels, classes, where);
    for (let r = 0; r < labels.length; r++) {
      const base = r * classes;
      const bad = firstNonFinite(logits, base, base + classes);
      if (bad >= 0) throw new Error(`${where}: NaN or Inf in the logits (position ${r}, class ${bad - base})`);
      let max = -Infinity;
      let arg = 0;
      for (let c = 0; c < classes; c++) {
        const z = logits[base + c];
        if (z > max) {
          max = z;
          arg = c;
        }
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c] - max);
      // −log softmax(z)[y] = log Σ exp(z − max) + max − z_y
      this.lossSum.add(Math.log(sum) + max - logits[base + labels[r]]);
      if (arg === labels[r]) this.correct++;
      this.count++;
    }
  }

  result(): TaskMetrics {
    return { loss: this.lossSum.value / this.count, accuracy: this.correct / this.count };
  }
}

registerAccumulator('task', TaskAccumulator.fromState);

/** ensemble logits = (1/M) Σ_j logits_j, in float64. */
export function meanLogits(logits: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(logits[0].length);
  for (const l of logits) for (let i = 0; i < out.length; i++) out[i] += l[i];
  for (let i = 0; i < out.length; i++) out[i] /= logits.length;
  return out;
}

/**
 * Barriers of a curve L(α) between L_A (α = 1) and L_B (α = 0):
 * midpoint = max_α L(α) − ½(L_A + L_B); weighted = max_α [L(α) − (α L_A + (1 − α) L_B)].
 */
export function barrier(alphas: readonly number[], curve: readonly number[], lA: number, lB: number): Barrier {
  if (alphas.length !== curve.length || alphas.length === 0) {
    throw new Error(`barrier: ${alphas.length} alphas for ${curve.length} curve values`);
  }
  let maxL = -Infinity;
  let maxGap = -Infinity;
  curve.forEach((l, i) => {
    maxL = Math.max(maxL, l);
    maxGap = Math.max(maxGap, l - (alphas[i] * lA + (1 - alphas[i]) * lB));
  });
  return { midpoint: maxL - 0.5 * (lA + lB), weighted: maxGap };
}
