// The op table: every op of the Backend contract, declared once. Each entry gives the op's family
// (the file group that holds it everywhere: reference/<family>.ts, webgpu/ops_<family>.ts,
// native/ops/<family>.cpp, native/bind/<family>.cpp, test/harness/cases_<family>.ts), the kind of
// result it returns, which arguments may be a WeightSum, and `check`: its argument and output-shape
// rules with their error messages. `check` returns the op's plan (the output shape and the sizes a
// kernel computes from); backends only compute. OpName, the Backend's op methods, supports(), the
// harness's op list and the bench cases all derive from this table.
//
// featureStats stays beside featureProducts: the sweep uses featureProducts (every comparison
// follows from the basis's Gram matrix), featureStats is the direct form of one comparison, kept
// as the cross-check of that algebra (test/sweep_units.test.ts) and for callers with one row.
import { numel, sameShape, shapeStr } from '../tensor.js';
import type {
  Conv2dOptions, ConvEpilogue, DeviceTensor, FeatureProducts, FeatureStats, Pool2dOptions, Weight, WeightSum,
} from './backend.js';
import type { AttentionOptions } from './decoder_shapes.js';
import { groupedAttentionShape, mulShape, narrowShape, rmsNormShape, ropeShape, softcapCheck } from './decoder_shapes.js';
import { isWeightSum } from './weight_sum.js';

export type Shape = readonly number[];

/** What an op returns, by kind. */
export interface OpResultKinds {
  tensor: DeviceTensor;
  tensors: DeviceTensor[];
  stats: FeatureStats;
  products: FeatureProducts[];
}

export type OpFamily = 'gemm' | 'conv2d' | 'norm' | 'elementwise' | 'pool' | 'attention' | 'layout' | 'combine' | 'feature_stats' | 'decoder';

interface OpSpec<A extends unknown[], P, R extends keyof OpResultKinds> {
  readonly family: OpFamily;
  readonly result: R;
  /** Positions of the arguments that may be a WeightSum (Σ_j c_j W_j, formed by whoever reads it). */
  readonly weightArgs?: readonly number[];
  /** Validates the arguments (shapes, dtypes, options) and returns the plan the kernel computes from. */
  check(...args: A): P;
}

const spec = <A extends unknown[], P, R extends keyof OpResultKinds>(s: OpSpec<A, P, R>): OpSpec<A, P, R> => s;

// ---- argument rules shared by the ops ----

function tensor(op: string, arg: string, t: unknown, dtype: 'float32' | 'int32' = 'float32'): DeviceTensor {
  if (typeof t !== 'object' || t === null || !Array.isArray((t as DeviceTensor).shape)) {
    throw new Error(`${op}: ${arg} is not a tensor`);
  }
  const d = t as DeviceTensor;
  if (d.dtype !== dtype) throw new Error(`${op}: ${arg} must be ${dtype}, got ${d.dtype}`);
  return d;
}

function rank(op: string, arg: string, shape: Shape, r: number, layout: string): void {
  if (shape.length !== r) throw new Error(`${op}: ${arg} must have rank ${r} (${layout}), got shape ${shapeStr(shape)}`);
}

function minRank(op: string, arg: string, shape: Shape, r: number, layout: string): void {
  if (shape.length < r) throw new Error(`${op}: ${arg} must have rank ≥ ${r} (${layout}), got shape ${shapeStr(shape)}`);
}

function int(op: string, arg: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${op}: ${arg} must be an integer ≥ ${min}, got ${v}`);
}

/** A [h, w] pair of integers ≥ min. */
function pair(op: string, arg: string, v: readonly number[], min: number): void {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${op}: ${arg} must be a pair [h, w] of integers ≥ ${min}, got ${JSON.stringify(v)}`);
  }
}

function vector(op: string, arg: string, t: unknown, len: number, what: string): void {
  const v = tensor(op, arg, t);
  if (v.shape.length !== 1 || v.shape[0] !== len) throw new Error(`${op}: ${arg} must have shape [${len}] (${what}), got ${shapeStr(v.shape)}`);
}

function eps(op: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new Error(`${op}: eps must be a finite number ≥ 0, got ${v}`);
}

/** torch's window output size: floor((in + 2p − d(k − 1) − 1) / s) + 1, which must be ≥ 1. */
export function windowOutSize(op: string, dim: string, size: number, k: number, s: number, p: number, d: number): number {
  const out = Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  if (out < 1) {
    throw new Error(`${op}: input ${dim} ${size} with padding ${p} is too small for kernel ${k} (dilation ${d}): output ${dim} would be ${out}`);
  }
  return out;
}

/** A non-empty list of float32 tensors of one shape (`shape`, else basis[0]'s). */
function basisShape(op: string, arg: string, basis: readonly DeviceTensor[], shape: Shape | null): Shape {
  if (!Array.isArray(basis) || basis.length < 1) throw new Error(`${op}: ${arg} must hold at least one tensor`);
  const want = shape ?? tensor(op, `${arg}[0]`, basis[0]).shape;
  basis.forEach((t, j) => {
    const b = tensor(op, `${arg}[${j}]`, t);
    if (!sameShape(b.shape, want)) {
      throw new Error(`${op}: ${arg}[${j}] has shape ${shapeStr(b.shape)}, expected ${shapeStr(want)}${shape ? '' : ` (the shape of ${arg}[0])`}`);
    }
  });
  return want;
}

function coefficients(op: string, arg: string, c: Float64Array, count: number, what: string): void {
  if (!(c instanceof Float64Array) || c.length !== count) throw new Error(`${op}: ${arg} must be a Float64Array of ${what}, got ${c?.length}`);
}

/** The shape of a weight argument: a tensor's, or a WeightSum's (its basis checked, coefficients one per basis tensor). */
function weightShape(op: string, arg: string, w: Weight): Shape {
  if (!isWeightSum(w)) return tensor(op, arg, w).shape;
  const shape = basisShape(op, `${arg} basis`, w.basis, null);
  coefficients(op, `${arg} coeffs`, w.coeffs, w.basis.length, `${w.basis.length} coefficients (one per basis tensor)`);
  return shape;
}

const rowsOf = (shape: Shape): number => numel(shape.slice(0, -1));

// ---- the ops ----

function checkMatmul(a: DeviceTensor, b: DeviceTensor, transB: boolean) {
  const as = tensor('matmul', 'a', a).shape, bs = tensor('matmul', 'b', b).shape;
  minRank('matmul', 'a', as, 1, '[..., K]');
  rank('matmul', 'b', bs, 2, transB ? '[N, K]' : '[K, N]');
  const k = as[as.length - 1];
  const [bk, n] = transB ? [bs[1], bs[0]] : [bs[0], bs[1]];
  if (bk !== k) {
    throw new Error(`matmul: a has K = ${k} (last dim of ${shapeStr(as)}), b ${shapeStr(bs)} has K = ${bk}${transB ? ' (transB: b is [N, K])' : ''}`);
  }
  return { shape: [...as.slice(0, -1), n], m: rowsOf(as), n, k };
}

function checkLinear(x: DeviceTensor, w: Weight, b: DeviceTensor | null, layout: 'outIn' | 'inOut') {
  if (layout !== 'outIn' && layout !== 'inOut') throw new Error(`linear: layout must be 'outIn' or 'inOut', got ${String(layout)}`);
  const xs = tensor('linear', 'x', x).shape, ws = weightShape('linear', 'weight', w);
  const wLayout = layout === 'outIn' ? '[out, in]' : '[in, out]';
  rank('linear', 'weight', ws, 2, wLayout);
  minRank('linear', 'x', xs, 1, '[..., in]');
  const [outF, inF] = layout === 'outIn' ? [ws[0], ws[1]] : [ws[1], ws[0]];
  const xin = xs[xs.length - 1];
  if (xin !== inF) throw new Error(`linear: weight ${shapeStr(ws)} ${wLayout} expects ${inF} input features, x ${shapeStr(xs)} has ${xin}`);
  if (b !== null) {
    const bs = tensor('linear', 'bias', b).shape;
    if (bs.length !== 1 || bs[0] !== outF) throw new Error(`linear: bias must have shape [${outF}], got ${shapeStr(bs)}`);
  }
  return { shape: [...xs.slice(0, -1), outF], m: rowsOf(xs), n: outF, k: inF };
}

function checkConv2d(x: DeviceTensor, w: Weight, b: DeviceTensor | null, o: Conv2dOptions, epilogue?: ConvEpilogue) {
  const xs = tensor('conv2d', 'x', x).shape, ws = weightShape('conv2d', 'weight', w);
  rank('conv2d', 'x', xs, 4, '[N, C, H, W]');
  rank('conv2d', 'weight', ws, 4, '[O, C/groups, kh, kw]');
  pair('conv2d', 'stride', o.stride, 1);
  pair('conv2d', 'padding', o.padding, 0);
  pair('conv2d', 'dilation', o.dilation, 1);
  int('conv2d', 'groups', o.groups, 1);
  const [n, c, h, wd] = xs;
  const [oc, cg, kh, kw] = ws;
  const g = o.groups;
  if (c % g !== 0) throw new Error(`conv2d: x has ${c} channels, not divisible by groups = ${g}`);
  if (oc % g !== 0) throw new Error(`conv2d: weight has ${oc} output channels, not divisible by groups = ${g}`);
  if (cg * g !== c) {
    throw new Error(`conv2d: weight has ${cg} input channels per group, x has ${c} channels (groups = ${g}, expected ${c / g} per group)`);
  }
  if (b !== null) {
    const bs = tensor('conv2d', 'bias', b).shape;
    if (bs.length !== 1 || bs[0] !== oc) throw new Error(`conv2d: bias must have shape [${oc}], got ${shapeStr(bs)}`);
  }
  const oh = windowOutSize('conv2d', 'height', h, kh, o.stride[0], o.padding[0], o.dilation[0]);
  const ow = windowOutSize('conv2d', 'width', wd, kw, o.stride[1], o.padding[1], o.dilation[1]);
  const shape = [n, oc, oh, ow];
  const bn = epilogue?.batchNorm;
  if (bn) {
    for (const k of ['mean', 'variance', 'weight', 'bias'] as const) vector('conv2d', `epilogue batchNorm ${k}`, bn[k], oc, 'one per output channel');
    eps('conv2d', bn.eps);
  }
  const res = epilogue?.residual;
  if (res && !sameShape(tensor('conv2d', 'epilogue residual', res).shape, shape)) {
    throw new Error(`conv2d: epilogue residual has shape ${shapeStr(res.shape)}, expected the output's ${shapeStr(shape)}`);
  }
  return { shape, oh, ow };
}

function checkBatchNorm(x: DeviceTensor, mean: DeviceTensor, variance: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, e: number) {
  const xs = tensor('batchNorm', 'x', x).shape;
  minRank('batchNorm', 'x', xs, 2, '[N, C, ...]');
  eps('batchNorm', e);
  const c = xs[1];
  const what = `one per channel of x ${shapeStr(xs)}`;
  for (const [arg, t] of [['mean', mean], ['variance', variance], ['weight', weight], ['bias', bias]] as const) vector('batchNorm', arg, t, c, what);
  return { shape: xs, n: xs[0], c, inner: numel(xs.slice(2)) };
}

function checkLayerNorm(x: DeviceTensor, weight: DeviceTensor, bias: DeviceTensor, e: number) {
  const xs = tensor('layerNorm', 'x', x).shape;
  minRank('layerNorm', 'x', xs, 1, '[..., D]');
  eps('layerNorm', e);
  const d = xs[xs.length - 1];
  const what = `the last dim of x ${shapeStr(xs)}`;
  vector('layerNorm', 'weight', weight, d, what);
  vector('layerNorm', 'bias', bias, d, what);
  return { shape: xs, rows: rowsOf(xs), d };
}

const checkUnary = (op: string) => (x: DeviceTensor) => ({ shape: tensor(op, 'x', x).shape });

function checkGelu(x: DeviceTensor, approximate: 'erf' | 'tanh') {
  if (approximate !== 'erf' && approximate !== 'tanh') throw new Error(`gelu: approximate must be 'erf' or 'tanh', got ${String(approximate)}`);
  return { shape: tensor('gelu', 'x', x).shape };
}

function checkAdd(a: DeviceTensor, b: DeviceTensor) {
  const as = tensor('add', 'a', a).shape, bs = tensor('add', 'b', b).shape;
  const off = as.length - bs.length;
  if (off < 0 || bs.some((dim, i) => dim !== as[off + i])) throw new Error(`add: b ${shapeStr(bs)} must be a suffix of a's shape ${shapeStr(as)}`);
  return { shape: as };
}

const checkPool = (op: string) => (x: DeviceTensor, o: Pool2dOptions) => {
  const xs = tensor(op, 'x', x).shape;
  rank(op, 'x', xs, 4, '[N, C, H, W]');
  pair(op, 'kernel', o.kernel, 1);
  pair(op, 'stride', o.stride, 1);
  pair(op, 'padding', o.padding, 0);
  if (2 * o.padding[0] > o.kernel[0] || 2 * o.padding[1] > o.kernel[1]) {
    throw new Error(`${op}: padding ${JSON.stringify(o.padding)} must be at most half of kernel ${JSON.stringify(o.kernel)}`);
  }
  const oh = windowOutSize(op, 'height', xs[2], o.kernel[0], o.stride[0], o.padding[0], 1);
  const ow = windowOutSize(op, 'width', xs[3], o.kernel[1], o.stride[1], o.padding[1], 1);
  return { shape: [xs[0], xs[1], oh, ow], oh, ow };
};

function checkAdaptiveAvgPool2d(x: DeviceTensor, outH: number, outW: number) {
  const xs = tensor('adaptiveAvgPool2d', 'x', x).shape;
  rank('adaptiveAvgPool2d', 'x', xs, 4, '[N, C, H, W]');
  int('adaptiveAvgPool2d', 'outH', outH, 1);
  int('adaptiveAvgPool2d', 'outW', outW, 1);
  if (xs[2] < 1 || xs[3] < 1) throw new Error(`adaptiveAvgPool2d: x ${shapeStr(xs)} has an empty plane`);
  return { shape: [xs[0], xs[1], outH, outW] };
}

function checkAttention(qkv: DeviceTensor, heads: number, _causal: boolean) {
  const qs = tensor('attention', 'qkv', qkv).shape;
  rank('attention', 'qkv', qs, 3, '[N, T, 3D]');
  int('attention', 'heads', heads, 1);
  const [n, t, d3] = qs;
  if (d3 % 3 !== 0) throw new Error(`attention: qkv last dim ${d3} of ${shapeStr(qs)} must be 3·D ([q | k | v])`);
  const d = d3 / 3;
  if (d % heads !== 0) throw new Error(`attention: model dim D = ${d} is not divisible by heads = ${heads}`);
  return { shape: [n, t, d], n, t, d };
}

function checkEmbedding(ids: DeviceTensor, table: DeviceTensor) {
  const is = tensor('embedding', 'ids', ids, 'int32').shape, ts = tensor('embedding', 'table', table).shape;
  rank('embedding', 'table', ts, 2, '[V, D]');
  return { shape: [...is, ts[1]], vocab: ts[0], d: ts[1] };
}

function checkTranspose12(x: DeviceTensor) {
  const xs = tensor('transpose12', 'x', x).shape;
  rank('transpose12', 'x', xs, 3, '[A, B, C]');
  return { shape: [xs[0], xs[2], xs[1]] };
}

function checkPrependToken(x: DeviceTensor, token: DeviceTensor) {
  const xs = tensor('prependToken', 'x', x).shape, ts = tensor('prependToken', 'token', token).shape;
  rank('prependToken', 'x', xs, 3, '[N, T, D]');
  const [n, t, d] = xs;
  if (ts.length < 1 || ts[ts.length - 1] !== d || numel(ts) !== d) {
    throw new Error(`prependToken: token must have shape [${d}] (or [1, 1, ${d}]) to match x ${shapeStr(xs)}, got ${shapeStr(ts)}`);
  }
  return { shape: [n, t + 1, d] };
}

function checkSelectToken(x: DeviceTensor, index: number) {
  const xs = tensor('selectToken', 'x', x).shape;
  rank('selectToken', 'x', xs, 3, '[N, T, D]');
  const [n, t, d] = xs;
  if (!Number.isInteger(index) || index < 0 || index >= t) throw new Error(`selectToken: index ${index} is out of range for ${t} tokens (x ${shapeStr(xs)})`);
  return { shape: [n, d] };
}

function checkConcatLast(xs: readonly DeviceTensor[]) {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error('concatLast: needs at least one input tensor');
  const first = tensor('concatLast', 'xs[0]', xs[0]).shape;
  if (first.length === 0) throw new Error('concatLast: xs[0] is a scalar; inputs need a last dim');
  const lead = first.slice(0, -1);
  const widths = xs.map((x, i) => {
    const s = tensor('concatLast', `xs[${i}]`, x).shape;
    if (s.length !== first.length || s.slice(0, -1).some((d, k) => d !== lead[k])) {
      throw new Error(`concatLast: xs[${i}] has shape ${shapeStr(s)}, expected leading dims ${shapeStr(lead)} (those of xs[0] ${shapeStr(first)})`);
    }
    return s[s.length - 1];
  });
  const width = widths.reduce((a, b) => a + b, 0);
  return { shape: [...lead, width], rows: numel(lead), widths };
}

function checkL2Normalize(x: DeviceTensor) {
  const xs = tensor('l2Normalize', 'x', x).shape;
  minRank('l2Normalize', 'x', xs, 1, '[..., D]');
  return { shape: xs, rows: rowsOf(xs), d: xs[xs.length - 1] };
}

function checkCombine(basis: readonly DeviceTensor[], coeffs: Float64Array, k: number) {
  const shape = basisShape('combine', 'basis', basis, null);
  int('combine', 'k', k, 1);
  const m = basis.length;
  coefficients('combine', 'coeffs', coeffs, k * m, `K·M = ${k}·${m} = ${k * m} values`);
  return { shape, k, m };
}

function checkFeatureStats(f: DeviceTensor, basis: readonly DeviceTensor[], c: Float64Array) {
  const fs = tensor('featureStats', 'f', f).shape;
  minRank('featureStats', 'f', fs, 1, '[N, ...]');
  basisShape('featureStats', 'basis', basis, fs);
  coefficients('featureStats', 'c', c, basis.length, `${basis.length} coefficients (one per basis tensor)`);
  return { n: fs[0], m: basis.length };
}

function checkFeatureProducts(fs: readonly DeviceTensor[], basis: readonly DeviceTensor[]) {
  if (!Array.isArray(fs) || fs.length === 0) throw new Error('featureProducts: fs must hold at least one tensor');
  const shape = basisShape('featureProducts', 'fs', fs, null);
  minRank('featureProducts', 'fs[0]', shape, 1, '[N, ...]');
  basisShape('featureProducts', 'basis', basis, shape);
  return { n: shape[0], m: basis.length };
}

// ---- the decoder-LLM ops: their shape rules are decoder_shapes.ts ----

function checkRmsNorm(x: DeviceTensor, weight: DeviceTensor, e: number, _unitOffset: boolean) {
  tensor('rmsNorm', 'x', x);
  tensor('rmsNorm', 'weight', weight);
  return { shape: x.shape, ...rmsNormShape(x, weight, e) };
}

function checkRope(x: DeviceTensor, cos: DeviceTensor, sin: DeviceTensor) {
  for (const [arg, t] of [['x', x], ['cos', cos], ['sin', sin]] as const) tensor('rope', arg, t);
  return { shape: x.shape, ...ropeShape(x, cos, sin) };
}

function checkMul(a: DeviceTensor, b: DeviceTensor) {
  tensor('mul', 'a', a);
  tensor('mul', 'b', b);
  return { shape: mulShape(a, b) };
}

function checkGroupedAttention(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, o: AttentionOptions) {
  for (const [arg, t] of [['q', q], ['k', k], ['v', v]] as const) tensor('groupedAttention', arg, t);
  const p = groupedAttentionShape(q, k, v, o);
  return { ...p, shape: p.out };
}

function checkNarrow(x: DeviceTensor, start: number, length: number) {
  const p = narrowShape(tensor('narrow', 'x', x), start, length);
  return { ...p, shape: p.out };
}

function checkSoftcap(x: DeviceTensor, cap: number) {
  softcapCheck(cap);
  return { shape: tensor('softcap', 'x', x).shape };
}

/** The op table (see the file comment). Order: the families as listed in OpFamily. */
export const OPS = {
  /** C[..., N] = A[..., K] · B[K, N] (transB: B given as [N, K]); A's leading dims are kept */
  matmul: spec({ family: 'gemm', result: 'tensor', check: checkMatmul }),
  /** y[..., out] = x[..., in] · Wᵀ + b, W as [out, in] ('outIn', torch Linear) or [in, out] ('inOut', HF Conv1D); W may be a WeightSum */
  linear: spec({ family: 'gemm', result: 'tensor', weightArgs: [1], check: checkLinear }),
  /** y = conv2d(x[N,C,H,W], W[O,C/groups,kh,kw]) + b (torch, zero padding), then the epilogue: BatchNorm (eval), + residual, ReLU; W may be a WeightSum */
  conv2d: spec({ family: 'conv2d', result: 'tensor', weightArgs: [1], check: checkConv2d }),
  /** y = (x − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c] over channel dim 1 (eval mode) */
  batchNorm: spec({ family: 'norm', result: 'tensor', check: checkBatchNorm }),
  /** y = (x − μ) / sqrt(σ² + eps) · weight + bias over the last dim (biased variance) */
  layerNorm: spec({ family: 'norm', result: 'tensor', check: checkLayerNorm }),
  /** y = x / ‖x‖₂ over the last dim (a zero row gives NaN, as torch's x / x.norm(dim=-1, keepdim=True)) */
  l2Normalize: spec({ family: 'norm', result: 'tensor', check: checkL2Normalize }),
  /** y = max(x, 0); NaN stays NaN */
  relu: spec({ family: 'elementwise', result: 'tensor', check: checkUnary('relu') }),
  /** y = x·Φ(x) ('erf') or ½x(1 + tanh(√(2/π)(x + 0.044715x³))) ('tanh') */
  gelu: spec({ family: 'elementwise', result: 'tensor', check: checkGelu }),
  /** y = x·σ(1.702x) (OpenAI CLIP's QuickGELU); quickGelu(−∞) = NaN as in torch */
  quickGelu: spec({ family: 'elementwise', result: 'tensor', check: checkUnary('quickGelu') }),
  /** y = a + b, b's shape a suffix of a's (broadcast over a's leading dims) */
  add: spec({ family: 'elementwise', result: 'tensor', check: checkAdd }),
  /** torch max_pool2d (padding counts as −∞) */
  maxPool2d: spec({ family: 'pool', result: 'tensor', check: checkPool('maxPool2d') }),
  /** torch avg_pool2d, count_include_pad=True */
  avgPool2d: spec({ family: 'pool', result: 'tensor', check: checkPool('avgPool2d') }),
  /** torch adaptive_avg_pool2d(x, [outH, outW]) */
  adaptiveAvgPool2d: spec({ family: 'pool', result: 'tensor', check: checkAdaptiveAvgPool2d }),
  /** qkv[N,T,3D] = [q | k | v]: softmax(q kᵀ / √(D/H)) v per head (causal: keys j ≤ i) → [N,T,D] */
  attention: spec({ family: 'attention', result: 'tensor', check: checkAttention }),
  /** y[..., :] = table[ids[...], :]; ids int32, an id outside [0, V) is an error naming it */
  embedding: spec({ family: 'layout', result: 'tensor', check: checkEmbedding }),
  /** [A,B,C] → [A,C,B] */
  transpose12: spec({ family: 'layout', result: 'tensor', check: checkTranspose12 }),
  /** [N,T,D], token[D] → [N,T+1,D] with the token first */
  prependToken: spec({ family: 'layout', result: 'tensor', check: checkPrependToken }),
  /** [N,T,D] → [N,D] at token `index` */
  selectToken: spec({ family: 'layout', result: 'tensor', check: checkSelectToken }),
  /** xs[i][..., w_i] → y[..., Σ w_i] along the last dim; all leading dims equal */
  concatLast: spec({ family: 'layout', result: 'tensor', check: checkConcatLast }),
  /** Out_k = Σ_j C[k,j] · basis_j for k < K (C is K×M row-major), float64 sums rounded once */
  combine: spec({ family: 'combine', result: 'tensors', check: checkCombine }),
  /** per sample n, with G = Σ_j c_j basis_j (never stored): ⟨F_n,G_n⟩, ‖F_n‖², ‖G_n‖² in float64 */
  featureStats: spec({ family: 'feature_stats', result: 'stats', check: checkFeatureStats }),
  /** for each F in fs, per sample n: ⟨F_n, basis_j[n]⟩ for every j and ‖F_n‖², float64, one pass over the basis */
  featureProducts: spec({ family: 'feature_stats', result: 'products', check: checkFeatureProducts }),
  /** y = x / sqrt(mean(x²) + eps) · w (unitOffset: · (1 + w), Gemma) over the last dim, in float32 or wider */
  rmsNorm: spec({ family: 'decoder', result: 'tensor', check: checkRmsNorm }),
  /** HF rotate_half on the first R = 2·cos.shape[1] dims of each head of x[N,T,H,E]; cos/sin [T, R/2] */
  rope: spec({ family: 'decoder', result: 'tensor', check: checkRope }),
  /** y = x · σ(x) */
  silu: spec({ family: 'decoder', result: 'tensor', check: checkUnary('silu') }),
  /** y = a · b, b's shape a suffix of a's */
  mul: spec({ family: 'decoder', result: 'tensor', check: checkMul }),
  /** q[N,T,H·E], k,v[N,S,Hkv·E] → [N,T,H·E]; head h reads kv head ⌊h/(H/Hkv)⌋; scale, soft-cap, causal / sliding mask */
  groupedAttention: spec({ family: 'decoder', result: 'tensor', check: checkGroupedAttention }),
  /** y = x[..., start : start + length] */
  narrow: spec({ family: 'decoder', result: 'tensor', check: checkNarrow }),
  /** y = cap · tanh(x / cap) */
  softcap: spec({ family: 'decoder', result: 'tensor', check: checkSoftcap }),
};

type Table = typeof OPS;
export type OpName = keyof Table;
/** Every op, in table order. */
export const OP_NAMES = Object.keys(OPS) as OpName[];
export type OpArgs<K extends OpName> = Parameters<Table[K]['check']>;
export type OpPlan<K extends OpName> = ReturnType<Table[K]['check']>;
export type OpResult<K extends OpName> = OpResultKinds[Table[K]['result']];

/** The ops as a backend's callers see them. */
export type OpMethods = { [K in OpName]: (...args: OpArgs<K>) => Promise<OpResult<K>> };
/** The ops as a backend implements them: the checked plan first, then the caller's arguments. */
export type OpKernels = { [K in OpName]?: (plan: OpPlan<K>, ...args: OpArgs<K>) => Promise<OpResult<K>> };

export type { WeightSum };
