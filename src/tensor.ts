// Host tensors: {dtype, shape, data}. Float tensors are always float32 in memory
// (F16/BF16/F64 checkpoints are converted on load); integer tensors keep their width.

export type FloatDType = 'float32';
export type IntDType = 'int64' | 'int32' | 'uint8' | 'bool';
export type DType = FloatDType | IntDType;

export interface FloatTensor {
  dtype: 'float32';
  shape: number[];
  data: Float32Array;
}
export interface IntTensor {
  dtype: IntDType;
  shape: number[];
  /** int64 → BigInt64Array, int32 → Int32Array, uint8/bool → Uint8Array */
  data: BigInt64Array | Int32Array | Uint8Array;
}
export type Tensor = FloatTensor | IntTensor;

/** Product of a shape's dimensions (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function floatTensor(shape: number[], data?: Float32Array): FloatTensor {
  const n = numel(shape);
  if (data && data.length !== n) {
    throw new Error(`floatTensor: data has ${data.length} elements, shape ${shapeStr(shape)} needs ${n}`);
  }
  return { dtype: 'float32', shape: [...shape], data: data ?? new Float32Array(n) };
}

export function isFloat(t: Tensor): t is FloatTensor {
  return t.dtype === 'float32';
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Integer tensor values as plain numbers (int64 must fit in 2^53). */
export function intValues(t: IntTensor): Int32Array {
  if (t.data instanceof Int32Array) return t.data;
  const out = new Int32Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]);
    if (!Number.isSafeInteger(v) || v > 0x7fffffff || v < -0x80000000) {
      throw new Error(`integer value ${String(t.data[i])} at flat index ${i} does not fit in int32`);
    }
    out[i] = v;
  }
  return out;
}
