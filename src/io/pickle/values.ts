// What the restricted unpickler builds. Nothing here can run: a global is a (module, name) pair,
// an object of an unknown class is an inert record of its class, arguments and state, and a
// tensor is a description (storage, offset, shape, strides) whose bytes are read later.
import type { StDType } from '../types.js';
import { displayName, quoteName } from '../../util/escape.js';

/** A reference to `module.name`, never imported. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}

/** dict / OrderedDict (keys in insertion order). `attrs` keeps a BUILD state (OrderedDict's _metadata). */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  attrs: unknown = undefined;
  get(key: string): unknown {
    return this.map.get(key);
  }
}

/** set / frozenset. */
export class PySet {
  constructor(readonly items: unknown[] = []) {}
}

/** An object of a class that is not imported: what NEWOBJ / copyreg._reconstructor + BUILD made. */
export class PyObject {
  /** The BUILD state (for nn.Module: a dict with _parameters, _buffers, _modules, …). */
  state: unknown = undefined;
  /** Items appended or set on it (list / dict subclasses). */
  readonly listItems: unknown[] = [];
  readonly dictItems = new Map<unknown, unknown>();
  constructor(readonly cls: unknown, readonly args: readonly unknown[]) {}
  /** The class's dotted name when it is a global, else "?". */
  get className(): string {
    return this.cls instanceof PyGlobal ? this.cls.full : '?';
  }
}

/** One storage named by a persistent id: ('storage', torch.<Type>Storage, key, location, numel). */
export interface StorageRef {
  key: string;
  /** The storage class name, e.g. FloatStorage. */
  typeName: string;
  /** Undefined for storage types ctlkit cannot hold (complex, quantized, int16, int8). */
  dtype: StDType | undefined;
  elementSize: number;
  /** numel as the pickle states it (the archive's own size is what bounds reads). */
  numel: number;
}

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, …), not yet read. */
export interface TensorRef {
  readonly kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'tensor';
}

/** Element size and ctlkit dtype of each torch storage type (the legacy names torch.save writes). */
export const STORAGE_TYPES: Readonly<Record<string, { size: number; dtype?: StDType }>> = {
  FloatStorage: { size: 4, dtype: 'F32' },
  DoubleStorage: { size: 8, dtype: 'F64' },
  HalfStorage: { size: 2, dtype: 'F16' },
  BFloat16Storage: { size: 2, dtype: 'BF16' },
  LongStorage: { size: 8, dtype: 'I64' },
  IntStorage: { size: 4, dtype: 'I32' },
  ByteStorage: { size: 1, dtype: 'U8' },
  BoolStorage: { size: 1, dtype: 'BOOL' },
  ShortStorage: { size: 2 },
  CharStorage: { size: 1 },
  ComplexFloatStorage: { size: 8 },
  ComplexDoubleStorage: { size: 16 },
  QUInt8Storage: { size: 1 },
  QInt8Storage: { size: 1 },
  QInt32Storage: { size: 4 },
  QUInt4x2Storage: { size: 1 },
  QUInt2x4Storage: { size: 1 },
};

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return displayName(v.full);
  if (v instanceof PyObject) return `a ${displayName(v.className)} object`;
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof PySet) return 'a set';
  if (isTensorRef(v)) return 'a tensor';
  if (Array.isArray(v)) return 'a tuple/list';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'string' ? quoteName(v, 60) : String(v);
}
