// matmul, linear: tiled GEMM (shaders/gemm.wgsl).
// TOL.reduction (1e-9 nmse): float32 accumulation over K terms in tile order, against the reference's
// float64 (worst measured on lavapipe: matmul 1.1e-12, linear 9e-13).
import type { OpPlan } from '../ops.js';
import { fail, MAX_GROUPS, type GpuContext, type GpuTensor } from './context.js';

export const TILE = 64;

async function gemm(ctx: GpuContext, op: string, a: GpuTensor, b: GpuTensor, bias: GpuTensor | null, m: number, n: number, k: number, transB: boolean, outShape: readonly number[]): Promise<GpuTensor> {
  const c = ctx.alloc(op, outShape);
  const gx = Math.ceil(n / TILE);
  const gy = Math.ceil(m / TILE);
  if (gx > MAX_GROUPS || gy > MAX_GROUPS) fail(op, `output [${m}, ${n}] exceeds the GEMM grid`);
  await ctx.dispatch(op, 'gemm', { TRANS_B: transB, HAS_BIAS: bias !== null }, { u: [m, n, k] }, [a, b, bias ?? ctx.dummyRead, c], [gx, gy, 1]);
  return c;
}

// C[M,N] = A[M,K] · B[K,N] (transB: B as [N,K]); leading dims of A flattened
export async function matmul(ctx: GpuContext, p: OpPlan<'matmul'>, a: GpuTensor, b: GpuTensor, transB: boolean): Promise<GpuTensor> {
  return gemm(ctx, 'matmul', a, b, null, p.m, p.n, p.k, transB, p.shape);
}

// y[..., out] = x[..., in] · Wᵀ + b; W [out,in] ('outIn') or [in,out] ('inOut')
export async function linear(ctx: GpuContext, p: OpPlan<'linear'>, x: GpuTensor, w: GpuTensor, b: GpuTensor | null, layout: 'outIn' | 'inOut'): Promise<GpuTensor> {
  return gemm(ctx, 'linear', x, w, b, p.m, p.n, p.k, layout === 'outIn', p.shape);
}
