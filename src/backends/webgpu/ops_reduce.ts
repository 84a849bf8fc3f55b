// Row reductions and windows: layerNorm, l2Normalize, pooling, attention.
import { numel, shapeStr } from '../../tensor.js';
import type { Pool2dOptions } from '../backend.js';
import { fail, grid, type GpuContext, type GpuTensor } from './context.js';

const WG = 256;
const ATTN_WG = 64;
const ATTN_MAX_T = 2048; // shaders/attention.wgsl MAX_T

// TOL.reduction (1e-9): float32 two-pass mean/variance in a tree reduction (3e-12 measured)
export async function layerNorm(ctx: GpuContext, x: GpuTensor, weight: GpuTensor, bias: GpuTensor, eps: number): Promise<GpuTensor> {
  const d = x.shape[x.shape.length - 1] ?? 1;
  if (weight.numel !== d || bias.numel !== d) {
    fail('layerNorm', `weight ${shapeStr(weight.shape)} and bias ${shapeStr(bias.shape)} must have ${d} elements (last dim of x ${shapeStr(x.shape)})`);
  }
  const rows = numel(x.shape.slice(0, -1));
  const y = ctx.alloc('layerNorm', x.shape);
  if (d > 0) await ctx.dispatch('layerNorm', 'layer_norm', { WG }, { u: [rows, d], f: [eps] }, [x, weight, bias, y], grid('layerNorm', rows));
  return y;
}

// TOL.reduction (1e-9): float32 Σx² in a tree reduction, one sqrt and divide per element
export async function l2Normalize(ctx: GpuContext, x: GpuTensor): Promise<GpuTensor> {
  if (x.shape.length < 1) fail('l2Normalize', `x ${shapeStr(x.shape)} must have rank ≥ 1`);
  const d = x.shape[x.shape.length - 1];
  const rows = numel(x.shape.slice(0, -1));
  const y = ctx.alloc('l2Normalize', x.shape);
  if (d > 0) await ctx.dispatch('l2Normalize', 'l2_normalize', { WG }, { u: [rows, d] }, [x, y], grid('l2Normalize', rows));
  return y;
}

function poolShape(op: string, x: GpuTensor, o: Pool2dOptions): [number, number, number, number] {
  if (x.shape.length !== 4) fail(op, `x ${shapeStr(x.shape)} must be [N, C, H, W]`);
  const [, , h, w] = x.shape;
  const [kh, kw] = o.kernel;
  if (o.padding[0] * 2 > kh || o.padding[1] * 2 > kw) fail(op, `padding ${o.padding} must be at most half the kernel ${o.kernel}`);
  const oh = Math.floor((h + 2 * o.padding[0] - kh) / o.stride[0]) + 1;
  const ow = Math.floor((w + 2 * o.padding[1] - kw) / o.stride[1]) + 1;
  if (oh < 1 || ow < 1) fail(op, `output would be empty for x ${shapeStr(x.shape)} and kernel ${o.kernel}`);
  return [h, w, oh, ow];
}

async function pool(ctx: GpuContext, op: string, shader: string, x: GpuTensor, o: Pool2dOptions): Promise<GpuTensor> {
  const [h, w, oh, ow] = poolShape(op, x, o);
  const y = ctx.alloc(op, [x.shape[0], x.shape[1], oh, ow]);
  const n = y.numel;
  const u = [n, h, w, oh, ow, o.kernel[0], o.kernel[1], o.stride[0], o.stride[1], o.padding[0], o.padding[1]];
  await ctx.dispatch(op, shader, { WG }, { u }, [x, y], grid(op, Math.ceil(n / WG)));
  return y;
}

// TOL.exact: a max of float32 values (0 measured)
export const maxPool2d = async (ctx: GpuContext, x: GpuTensor, o: Pool2dOptions) => pool(ctx, 'maxPool2d', 'max_pool2d', x, o);
// TOL.reduction (1e-9): float32 window sums (4e-15 measured)
export const avgPool2d = async (ctx: GpuContext, x: GpuTensor, o: Pool2dOptions) => pool(ctx, 'avgPool2d', 'avg_pool2d', x, o);

// TOL.reduction (1e-9): float32 window sums (2e-14 measured)
export async function adaptiveAvgPool2d(ctx: GpuContext, x: GpuTensor, outH: number, outW: number): Promise<GpuTensor> {
  if (x.shape.length !== 4) fail('adaptiveAvgPool2d', `x ${shapeStr(x.shape)} must be [N, C, H, W]`);
  if (!(outH >= 1 && outW >= 1)) fail('adaptiveAvgPool2d', `output size ${outH}×${outW} must be positive`);
  const [n, c, h, w] = x.shape;
  const y = ctx.alloc('adaptiveAvgPool2d', [n, c, outH, outW]);
  const total = y.numel;
  await ctx.dispatch('adaptiveAvgPool2d', 'adaptive_avg_pool2d', { WG }, { u: [total, h, w, outH, outW] }, [x, y], grid('adaptiveAvgPool2d', Math.ceil(total / WG)));
  return y;
}

// TOL.reduction (1e-9): softmax with row-max subtraction in float32, the GPU's exp (a few ulp) (1e-13 measured)
export async function attention(ctx: GpuContext, qkv: GpuTensor, heads: number, causal: boolean): Promise<GpuTensor> {
  if (qkv.shape.length !== 3 || qkv.shape[2] % 3 !== 0) fail('attention', `qkv ${shapeStr(qkv.shape)} must be [N, T, 3D]`);
  const [n, t, d3] = qkv.shape;
  const d = d3 / 3;
  if (!Number.isInteger(heads) || heads < 1 || d % heads !== 0) fail('attention', `heads ${heads} must divide D = ${d}`);
  if (t > ATTN_MAX_T) fail('attention', `sequence length ${t} exceeds the kernel's maximum ${ATTN_MAX_T}`);
  const hd = d / heads;
  const y = ctx.alloc('attention', [n, t, d]);
  await ctx.dispatch('attention', 'attention', { WG: ATTN_WG, CAUSAL: causal }, { u: [n, t, d, heads, hd], f: [1 / Math.sqrt(hd)] }, [qkv, y], grid('attention', n * heads * t));
  return y;
}
