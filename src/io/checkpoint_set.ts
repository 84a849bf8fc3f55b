// A set of checkpoints opened together (a sweep's basis, a merge's models): compatibility checked
// from the headers alone, and closing them all.
import type { Checkpoint, StDType } from './types.js';

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

/** Closes every checkpoint, ignoring close errors (used on the way out of an error too). */
export async function closeAll(ckpts: readonly Checkpoint[]): Promise<void> {
  await Promise.all(ckpts.map((c) => c.close().catch(() => undefined)));
}
