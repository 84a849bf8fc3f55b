// matmul, linear (tiled GEMM, shaders/gemm.wgsl) and conv2d (implicit GEMM, shaders/conv2d.wgsl).
// TOL.reduction (1e-9 nmse): float32 accumulation over K terms in tile order, against the reference's
// float64 (worst measured on lavapipe: matmul 1.1e-12, linear 9e-13, conv2d 5e-14).
import { numel, shapeStr } from '../../tensor.js';
import type { Conv2dOptions } from '../backend.js';
import { fail, MAX_GROUPS, type GpuContext, type GpuTensor } from './context.js';

const TILE = 64;

async function gemm(ctx: GpuContext, op: string, a: GpuTensor, b: GpuTensor, bias: GpuTensor | null, m: number, n: number, k: number, transB: boolean, outShape: number[]): Promise<GpuTensor> {
  const c = ctx.alloc(op, outShape);
  const gx = Math.ceil(n / TILE);
  const gy = Math.ceil(m / TILE);
  if (gx > MAX_GROUPS || gy > MAX_GROUPS) fail(op, `output [${m}, ${n}] exceeds the GEMM grid`);
  await ctx.dispatch(op, 'gemm', { TRANS_B: transB, HAS_BIAS: bias !== null }, { u: [m, n, k] }, [a, b, bias ?? ctx.dummyRead, c], [gx, gy, 1]);
  return c;
}

// C[M,N] = A[M,K] · B[K,N] (transB: B as [N,K]); leading dims of A flattened
export async function matmul(ctx: GpuContext, a: GpuTensor, b: GpuTensor, transB: boolean): Promise<GpuTensor> {
  if (a.shape.length < 1 || b.shape.length !== 2) fail('matmul', `a ${shapeStr(a.shape)} must have ≥ 1 dim and b ${shapeStr(b.shape)} 2 dims`);
  const k = a.shape[a.shape.length - 1];
  const [bk, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (bk !== k) fail('matmul', `a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)}${transB ? 'ᵀ' : ''} disagree on K (${k} vs ${bk})`);
  const m = numel(a.shape.slice(0, -1));
  return gemm(ctx, 'matmul', a, b, null, m, n, k, transB, [...a.shape.slice(0, -1), n]);
}

// y[..., out] = x[..., in] · Wᵀ + b; W [out,in] ('outIn') or [in,out] ('inOut')
export async function linear(ctx: GpuContext, x: GpuTensor, w: GpuTensor, b: GpuTensor | null, layout: 'outIn' | 'inOut'): Promise<GpuTensor> {
  if (w.shape.length !== 2) fail('linear', `weight ${shapeStr(w.shape)} must be 2-D`);
  const [out, inp] = layout === 'outIn' ? w.shape : [w.shape[1], w.shape[0]];
  const k = x.shape[x.shape.length - 1];
  if (k !== inp) fail('linear', `x ${shapeStr(x.shape)} has ${k} features, weight ${shapeStr(w.shape)} (${layout}) expects ${inp}`);
  if (b && b.numel !== out) fail('linear', `bias ${shapeStr(b.shape)} must have ${out} elements`);
  const m = numel(x.shape.slice(0, -1));
  return gemm(ctx, 'linear', x, w, b, m, out, k, layout === 'outIn', [...x.shape.slice(0, -1), out]);
}

// y = conv2d(x, w) + b, torch semantics
export async function conv2d(ctx: GpuContext, x: GpuTensor, w: GpuTensor, b: GpuTensor | null, o: Conv2dOptions): Promise<GpuTensor> {
  if (x.shape.length !== 4 || w.shape.length !== 4) fail('conv2d', `x ${shapeStr(x.shape)} and w ${shapeStr(w.shape)} must be 4-D`);
  const [n, c, h, wd] = x.shape;
  const [oc, cg, kh, kw] = w.shape;
  const g = o.groups;
  if (!Number.isInteger(g) || g < 1 || c % g !== 0 || oc % g !== 0 || cg !== c / g) {
    fail('conv2d', `groups ${g} does not fit x ${shapeStr(x.shape)} and w ${shapeStr(w.shape)}`);
  }
  if (b && b.numel !== oc) fail('conv2d', `bias ${shapeStr(b.shape)} must have ${oc} elements`);
  const oh = Math.floor((h + 2 * o.padding[0] - o.dilation[0] * (kh - 1) - 1) / o.stride[0]) + 1;
  const ow = Math.floor((wd + 2 * o.padding[1] - o.dilation[1] * (kw - 1) - 1) / o.stride[1]) + 1;
  if (oh < 1 || ow < 1) fail('conv2d', `output would be empty (${oh}×${ow}) for x ${shapeStr(x.shape)} and w ${shapeStr(w.shape)}`);
  const y = ctx.alloc('conv2d', [n, oc, oh, ow]);
  const gx = Math.ceil((oh * ow) / TILE);
  const gy = Math.ceil(oc / g / TILE);
  if (gx > MAX_GROUPS || gy > MAX_GROUPS) fail('conv2d', `output ${shapeStr(y.shape)} exceeds the GEMM grid`);
  // grid z = (sample, group); samples go in slices so that z stays within the grid limit
  const perCall = Math.max(1, Math.floor(MAX_GROUPS / g));
  for (let n0 = 0; n0 < n; n0 += perCall) {
    const ns = Math.min(perCall, n - n0);
    const u = [n0, c, h, wd, oc, oh, ow, kh, kw, o.stride[0], o.stride[1], o.padding[0], o.padding[1], o.dilation[0], o.dilation[1], g];
    await ctx.dispatch('conv2d', 'conv2d', { HAS_BIAS: b !== null }, { u }, [x, w, b ?? ctx.dummyRead, y], [gx, gy, ns * g]);
  }
  return y;
}
