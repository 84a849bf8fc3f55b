// The Backend contract: a small device interface (upload/read/release/flush/dispose) plus the ops
// of the op table (ops.ts) that model families and the sweep runner are written in. Every backend is
// checked op by op against the reference backend (test/backend_ops.test.ts). All tensors on a backend
// are float32 except token ids (int32, only consumed by `embedding`). Shapes are row-major, PyTorch layouts.
import type { OpMethods, OpName } from './ops.js';

export type { OpName } from './ops.js';
export type { AttentionOptions } from './decoder_shapes.js';


/** A tensor owned by a backend. Opaque: read it back with `Backend.read`. */
export interface DeviceTensor {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
}

export type BackendName = 'reference' | 'native' | 'webgpu';

export interface Conv2dOptions {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Eval BatchNorm parameters, each [C]: y = (x − mean) / sqrt(variance + eps) · weight + bias. */
export interface BatchNormParams {
  mean: DeviceTensor;
  variance: DeviceTensor;
  weight: DeviceTensor;
  bias: DeviceTensor;
  eps: number;
}

/** What conv2d may apply to its output before returning it, in this order: BatchNorm (eval) over
 *  the output channels, + residual (the output's shape), ReLU. Defined as the composition of
 *  `batchNorm`, `add` and `relu` (see conv_epilogue.ts); a backend may fuse it into the conv. */
export interface ConvEpilogue {
  batchNorm?: BatchNormParams;
  residual?: DeviceTensor;
  relu?: boolean;
}

export interface Pool2dOptions {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

/** Per-sample sums over the flattened features of each sample (float64). */
export interface FeatureStats {
  /** ⟨F_n, G_n⟩ */
  dot: Float64Array;
  /** ‖F_n‖² */
  ff: Float64Array;
  /** ‖G_n‖² */
  gg: Float64Array;
}

/** Per-sample products of F with each basis tensor (float64), from one pass over the data. */
export interface FeatureProducts {
  /** ⟨F_n, basis_j[n]⟩ at [n·M + j] */
  dots: Float64Array;
  /** ‖F_n‖² */
  ff: Float64Array;
}

/** Σ_j coeffs[j] · basis[j] as a weight argument (conv2d's and linear's `w`): a backend that takes
 *  it forms the sum while it reads the weights (native conv2d); for any other the shared fallback
 *  (checked.ts) forms it with `combine` first. All basis tensors share one shape. */
export interface WeightSum {
  readonly basis: readonly DeviceTensor[];
  readonly coeffs: Float64Array;
}
export type Weight = DeviceTensor | WeightSum;

/** The device contract (tinygrad's alloc/copyin/copyout/program, ggml's backend buffer calls). */
export interface DeviceContract {
  readonly name: BackendName;
  upload(data: Float32Array | Int32Array, shape: readonly number[]): DeviceTensor;
  read(t: DeviceTensor): Promise<Float32Array | Int32Array>;
  /** Same data, new shape (same element count). No copy; the view shares the storage. */
  reshape(t: DeviceTensor, shape: readonly number[]): DeviceTensor;
  /** Hands the storage back (buffer pool); using `t` afterwards is a bug. Views share storage:
   *  release each storage once (release the last view or the original, not both). An op already
   *  running on the storage still reads it intact: it goes back to the pool when that op is done. */
  release(t: DeviceTensor): void;
  /** Waits for all queued work to finish. */
  flush(): Promise<void>;
  dispose(): Promise<void>;
}

/** A backend: the device contract and every op of the op table (ops.ts), each checked there before
 *  the backend's kernel runs. Inputs are never modified; each op returns new tensors. */
export interface Backend extends DeviceContract, OpMethods {
  /** Whether this backend implements `op`; the others throw "not supported" (the harness reports it). */
  supports(op: OpName): boolean;
  [Symbol.asyncDispose](): Promise<void>;
}
