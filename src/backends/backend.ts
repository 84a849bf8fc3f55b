// The Backend contract: a small device interface (upload/read/release/flush/dispose) plus the
// ops that model families and the sweep runner are written in. Every backend is checked op by op
// against the reference backend (test/backend_ops.test.ts). All tensors on a backend are float32
// except token ids (int32, only consumed by `embedding`). Shapes are row-major, PyTorch layouts.

/** A tensor owned by a backend. Opaque: read it back with `Backend.read`. */
export interface DeviceTensor {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
}

export type BackendName = 'reference' | 'native' | 'webgpu';

export type OpName =
  | 'matmul'
  | 'linear'
  | 'conv2d'
  | 'batchNorm'
  | 'layerNorm'
  | 'relu'
  | 'gelu'
  | 'quickGelu'
  | 'concatLast'
  | 'l2Normalize'
  | 'add'
  | 'maxPool2d'
  | 'avgPool2d'
  | 'adaptiveAvgPool2d'
  | 'attention'
  | 'embedding'
  | 'transpose12'
  | 'prependToken'
  | 'selectToken'
  | 'combine'
  | 'featureStats'
  | 'featureProducts';

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

export interface Backend {
  readonly name: BackendName;
  /** Whether this backend implements `op`; callers fall back or report "not supported". */
  supports(op: OpName): boolean;

  // ---- device contract ----
  upload(data: Float32Array | Int32Array, shape: readonly number[]): DeviceTensor;
  read(t: DeviceTensor): Promise<Float32Array | Int32Array>;
  /** Same data, new shape (same element count). No copy; the view shares the storage. */
  reshape(t: DeviceTensor, shape: readonly number[]): DeviceTensor;
  /** Hands the storage back (buffer pool); using `t` afterwards is a bug. Views share storage:
   *  release each storage once (release the last view or the original, not both). */
  release(t: DeviceTensor): void;
  /** Waits for all queued work to finish. */
  flush(): Promise<void>;
  dispose(): Promise<void>;

  // ---- ops (inputs are never modified; each returns a new tensor) ----
  /** C[M,N] = A[M,K] · B[K,N] (transB: B given as [N,K]). Leading batch dims of A are flattened
   *  into M for the product and kept in the result: A[..., K] → C[..., N]. */
  matmul(a: DeviceTensor, b: DeviceTensor, transB: boolean): Promise<DeviceTensor>;
  /** y[..., out] = x[..., in] · Wᵀ + b, W as [out,in] ('outIn', torch Linear) or [in,out] ('inOut', HF Conv1D). */
  linear(x: DeviceTensor, w: DeviceTensor, b: DeviceTensor | null, layout: 'outIn' | 'inOut'): Promise<DeviceTensor>;
  /** y = conv2d(x[N,C,H,W], w[O,C/groups,kh,kw]) + b, torch semantics (zero padding), then the
   *  epilogue when given. */
  conv2d(x: DeviceTensor, w: DeviceTensor, b: DeviceTensor | null, o: Conv2dOptions, epilogue?: ConvEpilogue): Promise<DeviceTensor>;
  /** y = (x − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c] over channel dim 1 (eval mode). */
  batchNorm(x: DeviceTensor, mean: DeviceTensor, variance: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor>;
  /** y = (x − μ) / sqrt(σ² + eps) · weight + bias over the last dim (biased variance). */
  layerNorm(x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, eps: number): Promise<DeviceTensor>;
  /** y = max(x, 0); NaN stays NaN. */
  relu(x: DeviceTensor): Promise<DeviceTensor>;
  /** y = x·Φ(x) ('erf', exact) or 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) ('tanh'). */
  gelu(x: DeviceTensor, approximate: 'erf' | 'tanh'): Promise<DeviceTensor>;
  /** y = x·σ(1.702x) (OpenAI CLIP's QuickGELU); NaN stays NaN, quickGelu(−∞) = NaN as in torch. */
  quickGelu(x: DeviceTensor): Promise<DeviceTensor>;
  /** Concatenation along the last dim: xs[i][..., w_i] → y[..., Σ w_i]; all leading dims equal. */
  concatLast(xs: readonly DeviceTensor[]): Promise<DeviceTensor>;
  /** y = x / ‖x‖₂ over the last dim (torch x / x.norm(dim=-1, keepdim=True): a zero row gives NaN). */
  l2Normalize(x: DeviceTensor): Promise<DeviceTensor>;
  /** y = a + b, where b's shape is a suffix of a's (broadcast over a's leading dims). */
  add(a: DeviceTensor, b: DeviceTensor): Promise<DeviceTensor>;
  /** torch.nn.functional.max_pool2d (padding counts as −∞). */
  maxPool2d(x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor>;
  /** torch.nn.functional.avg_pool2d with count_include_pad=True. */
  avgPool2d(x: DeviceTensor, o: Pool2dOptions): Promise<DeviceTensor>;
  /** torch.nn.functional.adaptive_avg_pool2d(x, [outH, outW]). */
  adaptiveAvgPool2d(x: DeviceTensor, outH: number, outW: number): Promise<DeviceTensor>;
  /** Multi-head scaled-dot-product attention: qkv[N,T,3D] packed as [q | k | v] along the last
   *  dim, heads H, head dim D/H, softmax(q kᵀ / √(D/H)) v, causal masks j > i. Returns [N,T,D]. */
  attention(qkv: DeviceTensor, heads: number, causal: boolean): Promise<DeviceTensor>;
  /** y[..., :] = table[ids[...], :]; ids int32, out-of-range ids are an error naming the id. */
  embedding(ids: DeviceTensor, table: DeviceTensor): Promise<DeviceTensor>;
  /** [A,B,C] → [A,C,B]. */
  transpose12(x: DeviceTensor): Promise<DeviceTensor>;
  /** [N,T,D], token[D] → [N,T+1,D] with token first. */
  prependToken(x: DeviceTensor, token: DeviceTensor): Promise<DeviceTensor>;
  /** [N,T,D] → [N,D] at token index `index`. */
  selectToken(x: DeviceTensor, index: number): Promise<DeviceTensor>;
  /** Out_k = Σ_j C[k,j] · basis_j for k < K; C is K×M row-major; all basis tensors share a shape.
   *  `use: 'parameters'` says the outputs are layer parameters: a backend may then keep a sum unformed
   *  until an op reads it (native conv2d forms its weights as it reads them); the values are the same. */
  combine(basis: readonly DeviceTensor[], coeffs: Float64Array, k: number, use?: 'parameters'): Promise<DeviceTensor[]>;
  /** With G = Σ_j c[j] · basis_j formed on the fly (never stored), per sample n (dim 0):
   *  ⟨F_n, G_n⟩, ‖F_n‖², ‖G_n‖², accumulated in float64. */
  featureStats(f: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array): Promise<FeatureStats>;
  /** For each F in fs, per sample n (dim 0): ⟨F_n, basis_j[n]⟩ for every j and ‖F_n‖², accumulated
   *  in float64, in one pass over the basis. With the basis's per-sample Gram matrix (the products of
   *  the basis with itself) these give featureStats for any coefficients. */
  featureProducts(fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]): Promise<FeatureProducts[]>;
}
