// 2-D pooling windows (shaders/max_pool2d.wgsl, avg_pool2d.wgsl, adaptive_avg_pool2d.wgsl): one
// thread per output element.
import type { Pool2dOptions } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { grid, type GpuContext, type GpuTensor } from './context.js';
import { WG } from './pointwise.js';

async function pool(ctx: GpuContext, op: string, shader: string, p: OpPlan<'maxPool2d'>, x: GpuTensor, o: Pool2dOptions): Promise<GpuTensor> {
  const [, , h, w] = x.shape;
  const y = ctx.alloc(op, p.shape);
  const n = y.numel;
  const u = [n, h, w, p.oh, p.ow, o.kernel[0], o.kernel[1], o.stride[0], o.stride[1], o.padding[0], o.padding[1]];
  await ctx.dispatch(op, shader, { WG }, { u }, [x, y], grid(op, Math.ceil(n / WG)));
  return y;
}

// TOL.exact: a max of float32 values (0 measured)
export const maxPool2d = async (ctx: GpuContext, p: OpPlan<'maxPool2d'>, x: GpuTensor, o: Pool2dOptions) => pool(ctx, 'maxPool2d', 'max_pool2d', p, x, o);
// TOL.reduction (1e-9): float32 window sums (4e-15 measured)
export const avgPool2d = async (ctx: GpuContext, p: OpPlan<'avgPool2d'>, x: GpuTensor, o: Pool2dOptions) => pool(ctx, 'avgPool2d', 'avg_pool2d', p, x, o);

// TOL.reduction (1e-9): float32 window sums (2e-14 measured)
export async function adaptiveAvgPool2d(ctx: GpuContext, p: OpPlan<'adaptiveAvgPool2d'>, x: GpuTensor, outH: number, outW: number): Promise<GpuTensor> {
  const [, , h, w] = x.shape;
  const y = ctx.alloc('adaptiveAvgPool2d', p.shape);
  const total = y.numel;
  await ctx.dispatch('adaptiveAvgPool2d', 'adaptive_avg_pool2d', { WG }, { u: [total, h, w, outH, outW] }, [x, y], grid('adaptiveAvgPool2d', Math.ceil(total / WG)));
  return y;
}
