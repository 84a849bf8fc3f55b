// Multi-head attention over packed qkv (shaders/attention.wgsl): one workgroup per (sample, head, query).
import type { OpPlan } from '../ops.js';
import { fail, grid, type GpuContext, type GpuTensor } from './context.js';

const ATTN_WG = 64;
const ATTN_MAX_T = 2048; // shaders/attention.wgsl MAX_T

// TOL.reduction (1e-9): softmax with row-max subtraction in float32, the GPU's exp (a few ulp) (1e-13 measured)
export async function attention(ctx: GpuContext, p: OpPlan<'attention'>, qkv: GpuTensor, heads: number, causal: boolean): Promise<GpuTensor> {
  const { n, t, d } = p;
  if (t > ATTN_MAX_T) fail('attention', `sequence length ${t} exceeds the kernel's maximum ${ATTN_MAX_T}`);
  const hd = d / heads;
  const y = ctx.alloc('attention', p.shape);
  await ctx.dispatch('attention', 'attention', { WG: ATTN_WG, CAUSAL: causal }, { u: [n, t, d, heads, hd], f: [1 / Math.sqrt(hd)] }, [qkv, y], grid('attention', n * heads * t));
  return y;
}
