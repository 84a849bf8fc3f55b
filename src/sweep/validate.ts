// Checks a sweep can run, from headers and host data only, before any tensor data or forward work
// (checkpoint compatibility is io/checkpoint_set.ts).
import type { Model } from '../models/family.js';
import { checkLabelRange } from '../metrics/task.js';
import type { CoefficientMatrix } from './coefficients.js';

export function checkMatrix(matrix: CoefficientMatrix, models: number): void {
  if (matrix.k < 1) throw new Error('coefficient matrix: no rows');
  if (matrix.m !== models || matrix.data.length !== matrix.k * matrix.m) {
    throw new Error(`coefficient matrix: rows have ${matrix.m} columns, expected ${models} (one per model)`);
  }
  matrix.data.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`coefficient matrix: row ${Math.floor(i / matrix.m)} column ${i % matrix.m} is ${v}`);
  });
  const c = matrix.checkpoints;
  if (c === undefined) return;
  if (!Array.isArray(c) || c.length !== matrix.k) {
    throw new Error(`coefficient matrix: checkpoints has ${Array.isArray(c) ? c.length : 'no'} entries, expected ${matrix.k} (one per row: null, or a checkpoint row's {name, path})`);
  }
  c.forEach((r, k) => {
    if (r !== null && (typeof r !== 'object' || typeof r.name !== 'string' || r.name === '' || typeof r.path !== 'string' || r.path === '')) {
      throw new Error(`coefficient matrix: checkpoints[${k}] is not null or a checkpoint row {name, path}`);
    }
  });
}

/** The requested hooks in forward order (all hooks when none requested); unknown names are an error. */
export function resolveLayers(model: Model, requested?: readonly string[]): string[] {
  if (!requested || requested.length === 0) return [...model.hooks];
  const known = new Set(model.hooks);
  for (const l of requested) {
    if (!known.has(l)) throw new Error(`--layers: unknown layer '${l}'; this ${model.config.architecture} has hooks: ${model.hooks.join(', ')}`);
  }
  const want = new Set(requested);
  return model.hooks.filter((h) => want.has(h));
}

/** Labels: one per sample (classifiers) or per token (token inputs: the inputs' shape), within [0, classes). */
export function checkLabels(model: Model, inputsShape: readonly number[], labels: { data: Int32Array; shape: number[] }, file: string): void {
  const want = model.input.kind === 'tokens' ? [...inputsShape] : [inputsShape[0]];
  if (labels.shape.length !== want.length || labels.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${file}: labels have shape [${labels.shape.join(', ')}], expected [${want.join(', ')}]`);
  }
  checkLabelRange(labels.data, model.classes, file);
}
