// Normalisations (eval mode): batchNorm over channel dim 1 (shaders/batch_norm.wgsl, one thread per
// element); layerNorm and l2Normalize over the last dim (shaders/layer_norm.wgsl, l2_normalize.wgsl,
// one workgroup per row).
import { numel } from '../../tensor.js';
import type { OpPlan } from '../ops.js';
import { grid, type GpuContext, type GpuTensor } from './context.js';
import { pointwise, WG } from './pointwise.js';

// TOL.elementwise (1e-12): a few float32 roundings (divide, sqrt) per element (6e-15 measured)
export async function batchNorm(
  ctx: GpuContext, p: OpPlan<'batchNorm'>, x: GpuTensor, mean: GpuTensor, variance: GpuTensor, weight: GpuTensor, bias: GpuTensor, eps: number,
): Promise<GpuTensor> {
  return pointwise(ctx, 'batchNorm', 'batch_norm', p.shape, [x, mean, variance, weight, bias], [p.c, p.inner], [eps]);
}

// TOL.reduction (1e-9): float32 two-pass mean/variance in a tree reduction (3e-12 measured)
export async function layerNorm(ctx: GpuContext, p: OpPlan<'layerNorm'>, x: GpuTensor, weight: GpuTensor, bias: GpuTensor, eps: number): Promise<GpuTensor> {
  const y = ctx.alloc('layerNorm', p.shape);
  const rows = numel(x.shape.slice(0, -1));
  if (p.d > 0) await ctx.dispatch('layerNorm', 'layer_norm', { WG }, { u: [rows, p.d], f: [eps] }, [x, weight, bias, y], grid('layerNorm', rows));
  return y;
}

// TOL.reduction (1e-9): float32 Σx² in a tree reduction, one sqrt and divide per element
export async function l2Normalize(ctx: GpuContext, p: OpPlan<'l2Normalize'>, x: GpuTensor): Promise<GpuTensor> {
  const y = ctx.alloc('l2Normalize', p.shape);
  if (p.d > 0) await ctx.dispatch('l2Normalize', 'l2_normalize', { WG }, { u: [p.rows, p.d] }, [x, y], grid('l2Normalize', p.rows));
  return y;
}
