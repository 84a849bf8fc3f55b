// The reference backend's device contract: a RefTensor is a shape over a plain host TypedArray.
// Views made by `reshape` share one Storage, so releasing any of them releases the data for all.
import type { DeviceTensor } from '../backend.js';
import { numel, shapeStr } from '../../tensor.js';

interface Storage {
  data: Float32Array | Int32Array;
  released: boolean;
}

export class RefTensor implements DeviceTensor {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly storage: Storage;

  constructor(storage: Storage, shape: readonly number[]) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = storage.data instanceof Int32Array ? 'int32' : 'float32';
  }

  get data(): Float32Array | Int32Array {
    return this.storage.data;
  }
}

/** Throws unless every dim is a non-negative integer. */
export function checkShape(op: string, arg: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: ${arg} shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
}

/** Wraps `data` (not copied) as a new tensor of `shape`. */
export function wrap(data: Float32Array | Int32Array, shape: readonly number[]): RefTensor {
  return new RefTensor({ data, released: false }, shape);
}

/** A new zero-filled float32 tensor. */
export function zeros(shape: readonly number[]): RefTensor {
  return wrap(new Float32Array(numel(shape)), shape);
}

/** Checks that `t` is a live tensor of this backend; returns it typed. */
export function ref(op: string, arg: string, t: DeviceTensor): RefTensor {
  if (!(t instanceof RefTensor)) throw new Error(`${op}: ${arg} is not a reference-backend tensor`);
  if (t.storage.released) throw new Error(`${op}: ${arg} was released`);
  return t;
}

/** A live float32 tensor's data, checked. */
export function f32(op: string, arg: string, t: DeviceTensor): { shape: readonly number[]; data: Float32Array } {
  const r = ref(op, arg, t);
  if (!(r.data instanceof Float32Array)) throw new Error(`${op}: ${arg} must be float32, got ${r.dtype}`);
  return { shape: r.shape, data: r.data };
}
