// Checks an input tensor against a model's InputSpec before anything runs.
import { isFloat, shapeStr, type Tensor } from '../tensor.js';
import type { InputSpec, Model } from './family.js';

/** An input spec's shape with its free dims as `*`, e.g. `[*, 3, 224, 224]`. */
export function inputShapeStr(spec: InputSpec): string {
  return `[${spec.shape.map((d) => (d === -1 ? '*' : String(d))).join(', ')}]`;
}

/** Throws a message naming `source` (file and key) with the expected and actual rank, shape, dtype
 *  or token id. */
export function validateInput(model: Model, input: Tensor, source: string): void {
  const spec = model.input;
  const expected = inputShapeStr(spec);
  const arch = model.config.architecture;
  if (input.shape.length !== spec.shape.length) {
    throw new Error(`${source}: input has shape ${shapeStr(input.shape)} (rank ${input.shape.length}), the ${arch} model expects rank ${spec.shape.length} ${expected}`);
  }
  spec.shape.forEach((d, i) => {
    if (d !== -1 && input.shape[i] !== d) {
      throw new Error(`${source}: input has shape ${shapeStr(input.shape)}, the ${arch} model expects ${expected} (dim ${i} must be ${d})`);
    }
  });
  if (input.shape.some((d) => d === 0)) throw new Error(`${source}: input has shape ${shapeStr(input.shape)}: no samples or an empty dim`);
  if (spec.kind === 'float') {
    if (!isFloat(input)) throw new Error(`${source}: input has dtype ${input.dtype}, the ${arch} model expects float values ${expected}`);
    return;
  }
  if (isFloat(input) || input.dtype === 'bool') {
    throw new Error(`${source}: input has dtype ${input.dtype}, the ${arch} model expects integer token ids ${expected}`);
  }
  const length = input.shape[1];
  if (spec.maxLength !== undefined && length > spec.maxLength) {
    throw new Error(`${source}: input has ${length} tokens per sequence, the ${arch} model has ${spec.maxLength} positions`);
  }
  const vocab = spec.vocab ?? Infinity;
  for (let i = 0; i < input.data.length; i++) {
    const id = Number(input.data[i]);
    if (!(id >= 0 && id < vocab)) {
      const at = `[${Math.floor(i / length)}, ${i % length}]`;
      throw new Error(`${source}: token id ${String(input.data[i])} at ${at} is out of range: the vocabulary has ${vocab} ids (0..${vocab - 1})`);
    }
  }
}
