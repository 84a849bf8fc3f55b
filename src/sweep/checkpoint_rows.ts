// Checkpoint rows: rows of a sweep whose weights are read from a checkpoint of their own (a TIES,
// DARE or any other non-linear merge; any model with the basis's tensors) instead of being formed
// as Σ_j c_j θ_j. Each has a coefficient vector v over the basis that is only its comparison target:
// F = f_ℓ(θ_row) vs G = Σ_j v_j f_ℓ(θ_j), i.e. how far the merge's features are from the linear
// combination of the basis features, per layer. None of the schedule's shortcuts for linear rows
// (a unit row sharing a basis model's features, a first stage linear in its weights) applies.
import { checkCompatible } from '../io/checkpoint_set.js';
import type { Checkpoint } from '../io/types.js';
import { interpolation, negation, taskArithmetic, type CheckpointRow, type CoefficientMatrix } from './coefficients.js';

export type { CheckpointRow } from './coefficients.js';

/** A checkpoint row to add to a sweep: its name, its checkpoint (a file or an HF model folder), and
 *  its comparison target: `coefficients` (one per basis model, in the basis's order), or the mode's
 *  own row at `alpha` (interpolate) or `lambda` (task arithmetic, negate). */
export interface CheckpointRowSpec {
  name: string;
  path: string;
  coefficients?: readonly number[];
  alpha?: number;
  lambda?: number;
}

/** Whether row k of `m` is a checkpoint row. */
export const isCheckpointRow = (m: CoefficientMatrix, k: number): boolean => (m.checkpoints?.[k] ?? null) !== null;

/** The comparison target of `r` over the basis of `m` (checked; `what` names the row in errors). */
function targetOf(m: CoefficientMatrix, r: CheckpointRowSpec, what: string): number[] {
  const given = (['coefficients', 'alpha', 'lambda'] as const).filter((key) => r[key] !== undefined);
  if (given.length !== 1) {
    throw new Error(`${what}: give exactly one comparison target: coefficients (${m.m} numbers, one per basis model), alpha (interpolate) or lambda (task arithmetic, negate)${given.length ? `; got ${given.join(' and ')}` : ''}`);
  }
  const finite = (v: number, name: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: ${name} is ${String(v)}, expected a finite number`);
    return v;
  };
  if (r.coefficients !== undefined) {
    const c = r.coefficients;
    if (!Array.isArray(c) || c.length !== m.m) {
      const got = Array.isArray(c) ? `${c.length} coefficient${c.length === 1 ? '' : 's'}` : String(c);
      throw new Error(`${what}: ${got}, expected ${m.m} (one per basis model: ${m.basis.join(', ')})`);
    }
    return c.map((v, j) => finite(v, `coefficient ${j}`));
  }
  if (r.alpha !== undefined) {
    if (m.mode !== 'interpolate') throw new Error(`${what}: alpha=… is the interpolate mode's row; this sweep is ${m.mode}: give coefficients (${m.m} numbers)`);
    return Array.from(interpolation(m.basis[0], m.basis[1], [finite(r.alpha, 'alpha')]).data);
  }
  const l = finite(r.lambda!, 'lambda');
  if (m.mode === 'task-arithmetic') return Array.from(taskArithmetic(m.basis[0], m.basis.slice(1), [l]).data);
  if (m.mode === 'negate') return Array.from(negation(m.basis[0], m.basis[1], [l]).data);
  throw new Error(`${what}: lambda=… is the task arithmetic / negate mode's row; this sweep is ${m.mode}: give coefficients (${m.m} numbers)`);
}

/** `matrix` with the checkpoint rows appended (after its own rows, in order). Their α / λ (when the
 *  matrix keeps one per row) is the value given, else NaN (results.json leaves it out). */
export function withCheckpointRows(matrix: CoefficientMatrix, rows: readonly CheckpointRowSpec[]): CoefficientMatrix {
  if (rows.length === 0) return matrix;
  const names = new Set(matrix.checkpoints?.filter((c) => c !== null).map((c) => c!.name));
  const targets = rows.map((r, i) => {
    const what = `checkpoint row ${typeof r?.name === 'string' && r.name !== '' ? `'${r.name}'` : i}`;
    if (typeof r?.name !== 'string' || r.name.trim() === '') throw new Error(`${what}: missing a name`);
    if (typeof r.path !== 'string' || r.path === '') throw new Error(`${what}: missing the checkpoint path`);
    if (names.has(r.name)) throw new Error(`${what}: the name is given twice; each checkpoint row needs its own name`);
    names.add(r.name);
    return targetOf(matrix, r, what);
  });
  const m = matrix.m;
  const data = new Float64Array((matrix.k + rows.length) * m);
  data.set(matrix.data);
  targets.forEach((t, i) => data.set(t, (matrix.k + i) * m));
  const out: CoefficientMatrix = {
    ...matrix,
    data,
    k: matrix.k + rows.length,
    checkpoints: [...(matrix.checkpoints ?? Array.from({ length: matrix.k }, () => null)), ...rows.map((r): CheckpointRow => ({ name: r.name, path: r.path }))],
  };
  if (matrix.alphas) out.alphas = [...matrix.alphas, ...rows.map((r) => r.alpha ?? NaN)];
  if (matrix.lambdas) out.lambdas = [...matrix.lambdas, ...rows.map((r) => r.lambda ?? NaN)];
  return out;
}

/** A sweep of checkpoint rows only, over `basis` (targets given as coefficients). */
export function checkpointRowMatrix(basis: readonly string[], rows: readonly CheckpointRowSpec[]): CoefficientMatrix {
  if (basis.length === 0) throw new Error('checkpoint rows: no basis models given');
  if (rows.length === 0) throw new Error('checkpoint rows: none given');
  return withCheckpointRows(basisOnly(basis), rows);
}

/** The basis alone, no rows yet (mode `coefficients`): add rows with withCheckpointRows. */
export function basisOnly(basis: readonly string[]): CoefficientMatrix {
  return { mode: 'coefficients', basis: [...basis], data: new Float64Array(0), k: 0, m: basis.length };
}

/** The distinct checkpoint paths of the matrix's checkpoint rows, in first-use order, and for each
 *  row the index of its checkpoint among them (−1 for a linear row). */
export function rowCheckpointPaths(m: CoefficientMatrix): { paths: string[]; of: number[] } {
  const paths: string[] = [];
  const of = Array.from({ length: m.k }, (_, k) => {
    const c = m.checkpoints?.[k];
    if (!c) return -1;
    let i = paths.indexOf(c.path);
    if (i < 0) i = paths.push(c.path) - 1;
    return i;
  });
  return { paths, of };
}

/** The checkpoint rows' shape checks against the basis (`basis0`, its first model): the same tensor
 *  names and shapes, float where the basis is float (any float dtype). Errors name the row, the
 *  tensor and both files. */
export function checkRowCheckpoint(basis0: Checkpoint, row: Checkpoint, name: string): void {
  try {
    checkCompatible([basis0, row]);
  } catch (e) {
    throw new Error(`checkpoint row '${name}' (${row.path}) does not fit the basis: ${(e as Error).message.replace(/^incompatible checkpoints: /, '')}`);
  }
}
