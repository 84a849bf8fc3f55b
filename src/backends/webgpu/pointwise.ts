// One thread per output element: the dispatch shape shared by the element-wise, norm and layout ops.
import { numel } from '../../tensor.js';
import { grid, type GpuContext, type GpuTensor } from './context.js';

export const WG = 256;

/** An output shaped like `shape`, filled by shaders/<shader>.wgsl, one thread per element. */
export async function pointwise(
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
  if (n > 0) await ctx.dispatch(op, shader, { WG, ...overrides }, { u: [n, ...u], f }, [...inputs, y], grid(op, Math.ceil(n / WG)));
  return y;
}
