// Every sweep is a basis of M checkpoints and a K×M coefficient matrix: row k is the model
// θ_k = Σ_j C[k,j] θ_j. The constructors below only build matrices (BRIEF.md definitions).
import { readFileSync } from 'node:fs';
import { averagingPlan, interpolationPlan, type SweepPlan } from './plan.js';
import type { SweepMode } from './types.js';
import { jsonSyntaxReason } from '../io/json_strict.js';
import { showValue } from '../util/escape.js';

export interface CoefficientMatrix {
  mode: SweepMode;
  /** Basis labels, in column order (the checkpoint paths the user gave). */
  basis: string[];
  /** K×M row-major. */
  data: Float64Array;
  k: number;
  m: number;
  /** Per-row α (interpolate) or λ (task arithmetic, negate). */
  alphas?: number[];
  lambdas?: number[];
  /** What the sweep compares and reports (default: plan.ts DEFAULT_PLAN). */
  plan?: SweepPlan;
  /** Per row (K entries) when some rows are checkpoint rows (checkpoint_rows.ts): null for a row
   *  whose weights are Σ_j C[k,j] θ_j; else the checkpoint its weights are read from, and C[k,·]
   *  is only its comparison target Σ_j C[k,j] f(θ_j). */
  checkpoints?: (CheckpointRow | null)[];
}

/** A row whose weights are a checkpoint of its own (a TIES or DARE merge, any model of the basis's
 *  shapes): its name in results.json and the path it is read from. */
export interface CheckpointRow {
  name: string;
  path: string;
}

/** Row k of the matrix as a plain array. */
export function coefficientRow(c: CoefficientMatrix, k: number): number[] {
  return Array.from(c.data.subarray(k * c.m, (k + 1) * c.m));
}

/**
 * Parses a grid: `start:stop:count` (inclusive ends, like numpy.linspace; `0:1:11` → 0, 0.1, …, 1)
 * or a comma list (`0,0.5,1`). Values outside [0, 1] are allowed. `what` names the argument.
 */
export function parseGrid(spec: string, what = 'grid'): number[] {
  const s = spec.trim();
  if (s === '') throw new Error(`${what}: empty grid (expected start:stop:count like 0:1:11, or a comma list)`);
  let values: number[];
  if (s.includes(':')) {
    const parts = s.split(':');
    if (parts.length !== 3) throw new Error(`${what}: '${spec}' is not start:stop:count (e.g. 0:1:11)`);
    const [start, stop, count] = parts.map((p) => parseNumber(p, what, spec));
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`${what}: count in '${spec}' must be a positive integer, got ${count}`);
    }
    values = count === 1 ? [start] : Array.from({ length: count }, (_, i) => start + ((stop - start) * i) / (count - 1));
    if (count > 1) values[count - 1] = stop;
  } else {
    values = s.split(',').filter((p) => p.trim() !== '').map((p) => parseNumber(p, what, spec));
  }
  if (values.length === 0) throw new Error(`${what}: empty grid '${spec}'`);
  return values;
}

function parseNumber(p: string, what: string, spec: string): number {
  const t = p.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) throw new Error(`${what}: '${t}'${t === spec.trim() ? '' : ` in '${spec}'`} is not a finite number`);
  return v;
}

function gridValues(grid: readonly number[] | string, what: string): number[] {
  const values = typeof grid === 'string' ? parseGrid(grid, what) : [...grid];
  if (values.length === 0) throw new Error(`${what}: empty grid`);
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`${what}: ${v} is not a finite number`);
  return values;
}

function fromRows(mode: SweepMode, basis: string[], rows: number[][]): CoefficientMatrix {
  const m = basis.length;
  const data = new Float64Array(rows.length * m);
  rows.forEach((r, k) => data.set(r, k * m));
  return { mode, basis, data, k: rows.length, m };
}

/** interpolate [A, B]: row(α) = [α, 1 − α], θ_α = α θ_A + (1 − α) θ_B. */
export function interpolation(a: string, b: string, alphas: readonly number[] | string): CoefficientMatrix {
  const values = gridValues(alphas, '--alphas');
  return { ...fromRows('interpolate', [a, b], values.map((al) => [al, 1 - al])), alphas: values, plan: interpolationPlan() };
}

/** average [m1..mN]: one row [1/N, …, 1/N]. */
export function averaging(models: readonly string[]): CoefficientMatrix {
  if (models.length < 1) throw new Error('--average: needs at least one model');
  const n = models.length;
  return { ...fromRows('average', [...models], [models.map(() => 1 / n)]), plan: averagingPlan(n) };
}

/** task arithmetic [θ0, t1..tT]: row(λ) = [1 − λT, λ, …, λ], θ0 + λ Σ_i (θ_i − θ0). */
export function taskArithmetic(base: string, tasks: readonly string[], lambdas: readonly number[] | string): CoefficientMatrix {
  if (tasks.length < 1) throw new Error('--tasks: task arithmetic needs at least one task model');
  const values = gridValues(lambdas, '--lambdas');
  const t = tasks.length;
  const rows = values.map((l) => [1 - l * t, ...tasks.map(() => l)]);
  return { ...fromRows('task-arithmetic', [base, ...tasks], rows), lambdas: values };
}

/** negate [θ0, t]: row(λ) = [1 + λ, −λ], θ0 − λ(θ_t − θ0). */
export function negation(base: string, task: string, lambdas: readonly number[] | string): CoefficientMatrix {
  const values = gridValues(lambdas, '--lambdas');
  return { ...fromRows('negate', [base, task], values.map((l) => [1 + l, -l])), lambdas: values };
}

/** Any K×M matrix: validated rows of finite numbers, each of width M = number of models. */
export function explicitMatrix(rows: unknown, models: readonly string[], source = 'coefficients'): CoefficientMatrix {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new Error(`${source}: expected a non-empty array of rows (arrays of ${models.length} numbers)`);
  }
  if (models.length === 0) throw new Error(`${source}: no models given for the matrix columns`);
  rows.forEach((r, k) => {
    if (!Array.isArray(r) || r.length !== models.length) {
      const got = Array.isArray(r) ? `${r.length} entries` : showValue(r);
      throw new Error(`${source}: row ${k} has ${got}, expected ${models.length} (one per model)`);
    }
    r.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`${source}: row ${k} column ${j} is ${showValue(v)}, expected a finite number`);
      }
    });
  });
  return fromRows('coefficients', [...models], rows as number[][]);
}

/** Reads a matrix from a JSON file: `[[...], ...]` or `{ "coefficients": [[...], ...] }`. */
export function matrixFromFile(file: string, models: readonly string[]): CoefficientMatrix {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the coefficient matrix: ${jsonSyntaxReason(e)}`);
  }
  const rows = Array.isArray(parsed) ? parsed : (parsed as { coefficients?: unknown } | null)?.coefficients;
  return explicitMatrix(rows, models, file);
}
