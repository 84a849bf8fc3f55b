// Decoder-LLM ops on WebGPU (shaders/<op>.wgsl): rmsNorm, rope, silu, mul, groupedAttention, narrow, softcap.
// Each takes the plan the op table checked (../ops.ts). Tolerances: test/harness/cases_decoder.ts.
import type { AttentionOptions } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { fail, grid, type GpuContext, type GpuTensor } from './context.js';
import { pointwise, WG } from './pointwise.js';

const ATTN_WG = 64;
const ATTN_MAX_S = 2048; // shaders/grouped_attention.wgsl MAX_S


// TOL.reduction: float32 Σx² in a tree reduction
export async function rmsNorm(ctx: GpuContext, p: OpPlan<'rmsNorm'>, x: GpuTensor, weight: GpuTensor, eps: number, unitOffset: boolean): Promise<GpuTensor> {
  const { rows, d } = p;
  const y = ctx.alloc('rmsNorm', x.shape);
  if (rows > 0) await ctx.dispatch('rmsNorm', 'rms_norm', { WG, UNIT_OFFSET: unitOffset }, { u: [rows, d], f: [eps] }, [x, weight, y], grid('rmsNorm', rows));
  return y;
}

// TOL.elementwise: two products and a sum per element
export async function rope(ctx: GpuContext, p: OpPlan<'rope'>, x: GpuTensor, cos: GpuTensor, sin: GpuTensor): Promise<GpuTensor> {
  const { t, heads, e, half } = p;
  if (half === 0) return pointwise(ctx, 'rope', 'narrow', x.shape, [x], [e, 0, e]);
  return pointwise(ctx, 'rope', 'rope', x.shape, [x, cos, sin], [t, heads, e, half]);
}

// TOL.transcendental: the GPU's exp
export const silu = async (ctx: GpuContext, x: GpuTensor) => pointwise(ctx, 'silu', 'silu', x.shape, [x], []);

// TOL.exact: one correctly rounded float32 multiply
export async function mul(ctx: GpuContext, p: OpPlan<'mul'>, a: GpuTensor, b: GpuTensor): Promise<GpuTensor> {
  return pointwise(ctx, 'mul', 'mul', p.shape, [a, b], [Math.max(1, b.numel)]);
}

// TOL.reduction: float32 dot products and sums over ≤ MAX_S keys
export async function groupedAttention(ctx: GpuContext, p: OpPlan<'groupedAttention'>, q: GpuTensor, k: GpuTensor, v: GpuTensor, o: AttentionOptions): Promise<GpuTensor> {
  const { n, t, s, e, out } = p;
  if (s > ATTN_MAX_S) fail('groupedAttention', `${s} keys exceed the kernel's maximum ${ATTN_MAX_S}`);
  const y = ctx.alloc('groupedAttention', out);
  if (n * t * o.heads === 0) return y;
  await ctx.dispatch(
    'groupedAttention', 'grouped_attention', { WG: ATTN_WG, CAUSAL: o.causal, SOFTCAP: !!o.softcap },
    { u: [n, t, s, o.heads, o.kvHeads, e, o.window ?? 0], f: [o.scale, o.softcap ?? 0] },
    [q, k, v, y], grid('groupedAttention', n * o.heads * t),
  );
  return y;
}

// TOL.exact: data movement
export async function narrow(ctx: GpuContext, p: OpPlan<'narrow'>, x: GpuTensor, start: number, length: number): Promise<GpuTensor> {
  const { d, out } = p;
  return pointwise(ctx, 'narrow', 'narrow', out, [x], [d, start, length]);
}

// TOL.transcendental: the GPU's tanh
export async function softcap(ctx: GpuContext, x: GpuTensor, cap: number): Promise<GpuTensor> {
  return pointwise(ctx, 'softcap', 'softcap', x.shape, [x], [], [cap]);
}
