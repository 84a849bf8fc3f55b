// Checks a sweep can run, from headers and host data only, before any tensor data or forward work.
import type { Checkpoint, StDType } from '../io/types.js';
import type { Model } from '../models/family.js';
import { checkLabelRange } from '../metrics/task.js';
import type { CoefficientMatrix } from './coefficients.js';

const FLOAT_DTYPES: readonly StDType[] = ['F64', 'F32', 'F16', 'BF16'];
export const isFloatDType = (d: StDType): boolean => FLOAT_DTYPES.includes(d);

/** Same tensor names, shapes and float-ness in every basis checkpoint; errors name the tensor and both files. */
export function checkCompatible(ckpts: readonly Checkpoint[]): void {
  const [first, ...rest] = ckpts;
  for (const other of rest) {
    for (const [name, a] of first.tensors) {
      const b = other.tensors.get(name);
      if (!b) throw new Error(`incompatible checkpoints: tensor '${name}' is in ${first.path} but missing from ${other.path}`);
      if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
        throw new Error(
          `incompatible checkpoints: tensor '${name}' has shape [${a.shape.join(', ')}] in ${first.path} but [${b.shape.join(', ')}] in ${other.path}`,
        );
      }
      if (isFloatDType(a.dtype) !== isFloatDType(b.dtype)) {
        throw new Error(`incompatible checkpoints: tensor '${name}' is ${a.dtype} in ${first.path} but ${b.dtype} in ${other.path}`);
      }
    }
    for (const name of other.tensors.keys()) {
      if (!first.tensors.has(name)) {
        throw new Error(`incompatible checkpoints: tensor '${name}' is in ${other.path} but missing from ${first.path}`);
      }
    }
  }
}

export function checkMatrix(matrix: CoefficientMatrix, models: number): void {
  if (matrix.k < 1) throw new Error('coefficient matrix: no rows');
  if (matrix.m !== models || matrix.data.length !== matrix.k * matrix.m) {
    throw new Error(`coefficient matrix: rows have ${matrix.m} columns, expected ${models} (one per model)`);
  }
  matrix.data.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`coefficient matrix: row ${Math.floor(i / matrix.m)} column ${i % matrix.m} is ${v}`);
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

/**
 * Number of classes of the logits hook, from its stage's parameters: the output dim (dim 0) of the
 * last 2-D weight the stage reads (torch Linear [out, in]; GPT-2's lm_head / tied wte [vocab, D]).
 */
export function logitsClasses(model: Model, ckpt: Checkpoint): number | undefined {
  const stage = model.stages.find((s) => s.name === model.logitsHook);
  const weights = (stage?.params ?? []).map((p) => ckpt.tensors.get(p)).filter((t) => t && t.shape.length === 2);
  return weights.length ? weights[weights.length - 1]!.shape[0] : undefined;
}

/** Labels: one per sample (classifiers) or per token (token inputs: the inputs' shape), within [0, classes). */
export function checkLabels(model: Model, inputsShape: readonly number[], labels: { data: Int32Array; shape: number[] }, classes: number | undefined, file: string): void {
  const want = model.input.kind === 'tokens' ? [...inputsShape] : [inputsShape[0]];
  if (labels.shape.length !== want.length || labels.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${file}: labels have shape [${labels.shape.join(', ')}], expected [${want.join(', ')}]`);
  }
  if (classes !== undefined) checkLabelRange(labels.data, classes, file);
}
