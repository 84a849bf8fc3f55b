// combine (W_k = Σ_j C[k,j] W_j) and featureStats (per-sample ⟨F,G⟩, ‖F‖², ‖G‖²), both on the
// device with compensated float32 arithmetic (see shaders/combine.wgsl, feature_stats.wgsl).
import { sameShape, shapeStr } from '../../tensor.js';
import type { FeatureStats } from '../backend.js';
import { fail, grid, type GpuContext, type GpuTensor } from './context.js';

const WG = 256;
const PER_DISPATCH = 4; // basis tensors bound per dispatch (b0..b3)
const CHUNK = WG * 16; // elements per featureStats workgroup

/** float64 values as float32 (hi, lo) pairs with hi + lo ≈ value to ~48 bits. */
function splitF64(c: ArrayLike<number>): Float32Array {
  const out = new Float32Array(c.length * 2);
  for (let i = 0; i < c.length; i++) {
    const hi = Math.fround(c[i]);
    out[2 * i] = hi;
    out[2 * i + 1] = Math.fround(c[i] - hi);
  }
  return out;
}

/** hi + lo of a compensated pair; a non-finite hi is the value (its lo is then NaN). */
const pair = (p: Float32Array, i: number): number => (Number.isFinite(p[i]) ? p[i] + p[i + 1] : p[i]);

function checkBasis(op: string, basis: readonly GpuTensor[], shape: readonly number[] | null): void {
  if (basis.length === 0) fail(op, 'needs at least one basis tensor');
  const want = shape ?? basis[0].shape;
  basis.forEach((b, j) => {
    if (b.dtype !== 'float32') fail(op, `basis ${j} is ${b.dtype}, expected float32`);
    if (!sameShape(b.shape, want)) fail(op, `basis ${j} ${shapeStr(b.shape)} differs from ${shapeStr(want)}`);
  });
}

// TOL.elementwise (1e-12): compensated sums, float64 rounded once where the driver fuses fma; on
// lavapipe each product keeps its ½-ulp float32 rounding error (3e-15 measured)
export async function combine(ctx: GpuContext, basis: readonly GpuTensor[], coeffs: Float64Array, k: number): Promise<GpuTensor[]> {
  checkBasis('combine', basis, null);
  const m = basis.length;
  if (!Number.isInteger(k) || k < 1 || coeffs.length !== k * m) fail('combine', `coeffs has ${coeffs.length} values, expected K×M = ${k}×${m}`);
  const n = basis[0].numel;
  const coef = ctx.scratch('ctlkit:combine:coeffs', splitF64(coeffs));
  const lo = m > PER_DISPATCH ? ctx.alloc('combine', basis[0].shape, 'float32', null, true) : null;
  // Tensors above maxStorageBufferBindingSize are processed in windows of offset-aligned elements.
  const align = ctx.device.limits.minStorageBufferOffsetAlignment / 4;
  const step = n * 4 <= ctx.maxBinding ? Math.max(n, 1) : Math.floor(ctx.maxBinding / 4 / align) * align;
  const outs: GpuTensor[] = [];
  try {
    for (let row = 0; row < k; row++) {
      const out = ctx.alloc('combine', basis[0].shape, 'float32', null, true);
      outs.push(out);
      for (let first = 0; first < n; first += step) {
        const count = Math.min(step, n - first);
        const win = (tensor: GpuTensor) => ({ tensor, first, count });
        for (let j0 = 0; j0 < m; j0 += PER_DISPATCH) {
          const nb = Math.min(PER_DISPATCH, m - j0);
          const bound = Array.from({ length: PER_DISPATCH }, (_, t) => (t < nb ? win(basis[j0 + t]) : ctx.dummyRead));
          const overrides = { WG, NB: nb, FIRST: j0 === 0, LAST: j0 + nb === m };
          const bindings = [coef, ...bound, win(out), lo ? win(lo) : ctx.dummyWrite];
          await ctx.dispatch('combine', 'combine', overrides, { u: [count, row, j0, m], f: [1] }, bindings, grid('combine', Math.ceil(count / WG)));
        }
      }
    }
  } catch (e) {
    outs.forEach((t) => ctx.release(t));
    throw e;
  } finally {
    ctx.pool.release(coef);
    if (lo) ctx.release(lo);
  }
  return outs;
}

// TOL.stats (1e-9): compensated float32 on the device, float64 across workgroups on the host
// (5e-15 measured; webgpu.test.ts holds dot/ff/gg to 2e-8 relative)
export async function featureStats(ctx: GpuContext, f: GpuTensor, basis: readonly GpuTensor[], c: Float64Array): Promise<FeatureStats> {
  checkBasis('featureStats', basis, f.shape);
  if (c.length !== basis.length) fail('featureStats', `c has ${c.length} coefficients for ${basis.length} basis tensors`);
  if (f.shape.length < 1) fail('featureStats', `f ${shapeStr(f.shape)} needs a sample dim 0`);
  if (basis.length > PER_DISPATCH) {
    // G formed once on the device (more basis tensors than one dispatch binds), then released.
    const [g] = await combine(ctx, basis, c, 1);
    try {
      return await featureStats(ctx, f, [g], new Float64Array([1]));
    } finally {
      ctx.release(g);
    }
  }
  const samples = f.shape[0];
  const len = samples === 0 ? 0 : f.numel / samples;
  const chunks = Math.max(1, Math.ceil(len / CHUNK));
  const groups = samples * chunks;
  const stats: FeatureStats = { dot: new Float64Array(samples), ff: new Float64Array(samples), gg: new Float64Array(samples) };
  if (groups === 0 || len === 0) return stats;
  const coef = ctx.scratch('ctlkit:featureStats:coeffs', splitF64(c));
  const partial = ctx.pool.acquire(groups * 6 * 4, 'ctlkit:featureStats:partials');
  try {
    const bound = Array.from({ length: PER_DISPATCH }, (_, t) => (t < basis.length ? basis[t] : ctx.dummyRead));
    await ctx.dispatch('featureStats', 'feature_stats', { WG, NB: basis.length }, { u: [len, chunks, CHUNK, samples], f: [1] }, [coef, f, ...bound, partial], grid('featureStats', groups));
    const p = new Float32Array(await ctx.readBytes('featureStats:partials', partial, groups * 6 * 4));
    for (let s = 0; s < samples; s++) {
      for (let w = s * chunks; w < (s + 1) * chunks; w++) {
        stats.dot[s] += pair(p, 6 * w);
        stats.ff[s] += pair(p, 6 * w + 2);
        stats.gg[s] += pair(p, 6 * w + 4);
      }
    }
  } finally {
    ctx.pool.release(coef);
    ctx.pool.release(partial);
  }
  return stats;
}
