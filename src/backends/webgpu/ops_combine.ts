// combine (W_k = Σ_j C[k,j] W_j) on the device with compensated float32 arithmetic
// (shaders/combine.wgsl); the float64 helpers the feature-stats ops share.
import type { OpPlan } from '../ops.js';
import { grid, type GpuContext, type GpuTensor } from './context.js';
import { WG } from './pointwise.js';

/** Basis tensors bound per dispatch (b0..b3) by combine.wgsl, feature_stats.wgsl and feature_products.wgsl. */
export const PER_DISPATCH = 4;

/** float64 values as float32 (hi, lo) pairs with hi + lo ≈ value to ~48 bits. */
export function splitF64(c: ArrayLike<number>): Float32Array {
  const out = new Float32Array(c.length * 2);
  for (let i = 0; i < c.length; i++) {
    const hi = Math.fround(c[i]);
    out[2 * i] = hi;
    out[2 * i + 1] = Math.fround(c[i] - hi);
  }
  return out;
}

/** hi + lo of a compensated pair; a non-finite hi is the value (its lo is then NaN). */
export const pair = (p: Float32Array, i: number): number => (Number.isFinite(p[i]) ? p[i] + p[i + 1] : p[i]);

// TOL.elementwise (1e-12): compensated sums, float64 rounded once where the driver fuses fma; on
// lavapipe each product keeps its ½-ulp float32 rounding error (3e-15 measured)
export async function combine(ctx: GpuContext, p: OpPlan<'combine'>, basis: readonly GpuTensor[], coeffs: Float64Array): Promise<GpuTensor[]> {
  const { k, m } = p;
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
