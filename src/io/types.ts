// What checkpoint I/O hands to the rest of ctlkit. Implemented in safetensors.ts / checkpoint.ts.
import type { Tensor } from '../tensor.js';

/** safetensors dtype strings ctlkit reads. */
export type StDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';

export interface TensorInfo {
  name: string;
  dtype: StDType;
  shape: number[];
}

/** A lazily opened checkpoint: the header is read and validated on open, tensor data on demand. */
export interface Checkpoint {
  /** The path the user gave (file, `*.safetensors.index.json`, or folder). */
  readonly path: string;
  /** Every tensor, in a deterministic order (sorted by name). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Reads one tensor with positioned reads. Floats come back as float32. Unknown names throw, naming the file. */
  read(name: string): Promise<Tensor>;
  close(): Promise<void>;
}
