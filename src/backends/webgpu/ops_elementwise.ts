// Element-wise and indexing ops: one thread per output element (shaders/<op>.wgsl).
// Beside each op: the backend-ops tolerance it is held to (test/harness/case_kit.ts TOL, normalised
// MSE against the float64 reference), why it holds here, and the worst nmse measured on lavapipe.
import { numel, shapeStr } from '../../tensor.js';
import { fail, grid, type GpuContext, type GpuTensor } from './context.js';
import { concatLastShape } from '../concat_last_shape.js';

const WG = 256;
const groups1d = (op: string, n: number) => grid(op, Math.ceil(n / WG));

/** An output shaped like `shape`, filled by shaders/<shader>.wgsl, one thread per element. */
async function pointwise(
  ctx: GpuContext,
  op: string,
  shader: string,
  shape: readonly number[],
  inputs: GpuTensor[],
  u: number[],
  f: number[] = [],
  overrides: Record<string, number | boolean> = {},
): Promise<GpuTensor> {
  const y = ctx.alloc(op, shape);
  const n = numel(shape);
  await ctx.dispatch(op, shader, { WG, ...overrides }, { u: [n, ...u], f }, [...inputs, y], groups1d(op, n));
  return y;
}

// TOL.exact: a comparison and a select (0 measured)
export const relu = async (ctx: GpuContext, x: GpuTensor) => pointwise(ctx, 'relu', 'relu', x.shape, [x], []);

// TOL.transcendental (1e-10): erf form is a float32 minimax erf (≤ 1e-7 abs, see gelu.wgsl) plus the
// GPU's exp error; tanh form: WGSL's tanh may come from exp with a few ulp (5e-13 measured, both forms)
export const gelu = async (ctx: GpuContext, x: GpuTensor, approximate: 'erf' | 'tanh') =>
  pointwise(ctx, 'gelu', 'gelu', x.shape, [x], [], [], { APPROX_TANH: approximate === 'tanh' });

// TOL.transcendental (1e-10): one exp and a divide per element (the GPU's exp error)
export const quickGelu = async (ctx: GpuContext, x: GpuTensor) => pointwise(ctx, 'quickGelu', 'quick_gelu', x.shape, [x], []);

// TOL.exact: data movement, one dispatch per input at its column offset (0 measured)
export async function concatLast(ctx: GpuContext, xs: readonly GpuTensor[]): Promise<GpuTensor> {
  const shape = concatLastShape(xs.map((x) => x.shape));
  const total = shape[shape.length - 1];
  const y = ctx.alloc('concatLast', shape);
  let off = 0;
  for (const x of xs) {
    const w = x.shape[x.shape.length - 1];
    if (x.numel > 0) await ctx.dispatch('concatLast', 'concat_last', { WG }, { u: [x.numel, w, total, off] }, [x, y], groups1d('concatLast', x.numel));
    off += w;
  }
  return y;
}

// TOL.exact: one correctly rounded float32 add (0 measured)
export async function add(ctx: GpuContext, a: GpuTensor, b: GpuTensor): Promise<GpuTensor> {
  const k = b.shape.length;
  const suffix = a.shape.slice(a.shape.length - k);
  if (k > a.shape.length || !suffix.every((d, i) => d === b.shape[i])) {
    fail('add', `b ${shapeStr(b.shape)} must be a suffix of a ${shapeStr(a.shape)}`);
  }
  return pointwise(ctx, 'add', 'add', a.shape, [a, b], [Math.max(1, b.numel)]);
}

// TOL.elementwise (1e-12): a few float32 roundings (divide, sqrt) per element (6e-15 measured)
export async function batchNorm(ctx: GpuContext, x: GpuTensor, mean: GpuTensor, variance: GpuTensor, weight: GpuTensor, bias: GpuTensor, eps: number): Promise<GpuTensor> {
  if (x.shape.length < 2) fail('batchNorm', `x ${shapeStr(x.shape)} needs a channel dim 1`);
  const c = x.shape[1];
  for (const [name, t] of [['mean', mean], ['variance', variance], ['weight', weight], ['bias', bias]] as const) {
    if (t.numel !== c) fail('batchNorm', `${name} ${shapeStr(t.shape)} must have ${c} elements (channels of x ${shapeStr(x.shape)})`);
  }
  const plane = numel(x.shape.slice(2));
  return pointwise(ctx, 'batchNorm', 'batch_norm', x.shape, [x, mean, variance, weight, bias], [c, plane], [eps]);
}

// TOL.exact: a gather (0 measured)
export async function embedding(ctx: GpuContext, ids: GpuTensor, table: GpuTensor): Promise<GpuTensor> {
  if (ids.dtype !== 'int32') fail('embedding', `ids must be int32, got ${ids.dtype}`);
  if (table.shape.length !== 2) fail('embedding', `table ${shapeStr(table.shape)} must be [vocab, dim]`);
  const [vocab, dim] = table.shape;
  const host = ids.storage.hostInts;
  if (!host) fail('embedding', 'ids must be uploaded from the host (they are validated there before use)');
  for (let i = 0; i < ids.numel; i++) {
    const id = host[i];
    if (id < 0 || id >= vocab) fail('embedding', `id ${id} at flat index ${i} is out of range [0, ${vocab})`);
  }
  return pointwise(ctx, 'embedding', 'embedding', [...ids.shape, dim], [ids, table], [dim]);
}

// TOL.exact: data movement (0 measured)
export async function transpose12(ctx: GpuContext, x: GpuTensor): Promise<GpuTensor> {
  if (x.shape.length !== 3) fail('transpose12', `x ${shapeStr(x.shape)} must be 3-D`);
  const [a, b, c] = x.shape;
  return pointwise(ctx, 'transpose12', 'transpose12', [a, c, b], [x], [b, c]);
}

// TOL.exact: data movement (0 measured)
export async function prependToken(ctx: GpuContext, x: GpuTensor, token: GpuTensor): Promise<GpuTensor> {
  if (x.shape.length !== 3) fail('prependToken', `x ${shapeStr(x.shape)} must be [N, T, D]`);
  const [n, t, d] = x.shape;
  if (token.numel !== d) fail('prependToken', `token ${shapeStr(token.shape)} must have D = ${d} elements`);
  return pointwise(ctx, 'prependToken', 'prepend_token', [n, t + 1, d], [x, token], [t, d]);
}

// TOL.exact: data movement (0 measured)
export async function selectToken(ctx: GpuContext, x: GpuTensor, index: number): Promise<GpuTensor> {
  if (x.shape.length !== 3) fail('selectToken', `x ${shapeStr(x.shape)} must be [N, T, D]`);
  const [n, t, d] = x.shape;
  if (!Number.isInteger(index) || index < 0 || index >= t) fail('selectToken', `index ${index} out of range [0, ${t})`);
  return pointwise(ctx, 'selectToken', 'select_token', [n, d], [x], [t, d, index]);
}
