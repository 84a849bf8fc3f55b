// featureStats (per sample ⟨F,G⟩, ‖F‖², ‖G‖² with G = Σ_j c_j basis_j) and featureProducts (per
// sample ⟨F, basis_j⟩ for every j and ‖F‖²) on the device in compensated float32
// (shaders/feature_stats.wgsl, feature_products.wgsl); each workgroup writes (hi, lo) partial sums
// of one chunk of one sample, and the host adds the chunks in float64.
import type { FeatureProducts, FeatureStats } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { grid, type GpuContext, type GpuTensor } from './context.js';
import { combine, pair, PER_DISPATCH, splitF64 } from './ops_combine.js';
import { WG } from './pointwise.js';

const CHUNK = WG * 16; // elements per workgroup

/** Samples, elements per sample and chunks per sample of F. */
function layout(f: GpuTensor): { samples: number; len: number; chunks: number } {
  const samples = f.shape[0];
  const len = samples === 0 ? 0 : f.numel / samples;
  return { samples, len, chunks: Math.max(1, Math.ceil(len / CHUNK)) };
}

// TOL.stats (1e-9): compensated float32 on the device, float64 across workgroups on the host
// (5e-15 measured; webgpu.test.ts holds dot/ff/gg to 2e-8 relative)
export async function featureStats(ctx: GpuContext, p: OpPlan<'featureStats'>, f: GpuTensor, basis: readonly GpuTensor[], c: Float64Array): Promise<FeatureStats> {
  if (basis.length > PER_DISPATCH) {
    // G formed once on the device (more basis tensors than one dispatch binds), then released.
    const [g] = await combine(ctx, { shape: f.shape, k: 1, m: basis.length }, basis, c);
    try {
      return await featureStats(ctx, { n: p.n, m: 1 }, f, [g], new Float64Array([1]));
    } finally {
      ctx.release(g);
    }
  }
  const { samples, len, chunks } = layout(f);
  const groups = samples * chunks;
  const stats: FeatureStats = { dot: new Float64Array(samples), ff: new Float64Array(samples), gg: new Float64Array(samples) };
  if (groups === 0 || len === 0) return stats;
  const coef = ctx.scratch('ctlkit:featureStats:coeffs', splitF64(c));
  const partial = ctx.pool.acquire(groups * 6 * 4, 'ctlkit:featureStats:partials');
  try {
    const bound = Array.from({ length: PER_DISPATCH }, (_, t) => (t < basis.length ? basis[t] : ctx.dummyRead));
    await ctx.dispatch('featureStats', 'feature_stats', { WG, NB: basis.length }, { u: [len, chunks, CHUNK, samples], f: [1] }, [coef, f, ...bound, partial], grid('featureStats', groups));
    const q = new Float32Array(await ctx.readBytes('featureStats:partials', partial, groups * 6 * 4));
    for (let s = 0; s < samples; s++) {
      for (let w = s * chunks; w < (s + 1) * chunks; w++) {
        stats.dot[s] += pair(q, 6 * w);
        stats.ff[s] += pair(q, 6 * w + 2);
        stats.gg[s] += pair(q, 6 * w + 4);
      }
    }
  } finally {
    ctx.pool.release(coef);
    ctx.pool.release(partial);
  }
  return stats;
}

// TOL.stats (1e-9): as featureStats. One pass over F and up to four basis tensors per dispatch
// (dots[n·M + j] = ⟨F_n, B_j[n]⟩, ff_n = ‖F_n‖²); more basis tensors take more dispatches.
export async function featureProducts(ctx: GpuContext, p: OpPlan<'featureProducts'>, fs: readonly GpuTensor[], basis: readonly GpuTensor[]): Promise<FeatureProducts[]> {
  const { n, m } = p;
  const out: FeatureProducts[] = [];
  for (const f of fs) {
    const r: FeatureProducts = { dots: new Float64Array(n * m), ff: new Float64Array(n) };
    out.push(r);
    const { samples, len, chunks } = layout(f);
    const groups = samples * chunks;
    if (groups === 0 || len === 0) continue;
    const stride = PER_DISPATCH + 1;  // (hi, lo) of ⟨F, B_t⟩ for t < NB, then of ‖F‖²
    const partial = ctx.pool.acquire(groups * stride * 2 * 4, 'ctlkit:featureProducts:partials');
    try {
      for (let j0 = 0; j0 < m; j0 += PER_DISPATCH) {
        const nb = Math.min(PER_DISPATCH, m - j0);
        const bound = Array.from({ length: PER_DISPATCH }, (_, t) => (t < nb ? basis[j0 + t] : ctx.dummyRead));
        await ctx.dispatch('featureProducts', 'feature_products', { WG, NB: nb }, { u: [len, chunks, CHUNK, samples], f: [1] }, [f, ...bound, partial], grid('featureProducts', groups));
        const q = new Float32Array(await ctx.readBytes('featureProducts:partials', partial, groups * stride * 2 * 4));
        for (let s = 0; s < samples; s++) {
          for (let w = s * chunks; w < (s + 1) * chunks; w++) {
            const o = w * stride * 2;
            for (let t = 0; t < nb; t++) r.dots[s * m + j0 + t] += pair(q, o + 2 * t);
            if (j0 === 0) r.ff[s] += pair(q, o + 2 * PER_DISPATCH);
          }
        }
      }
    } finally {
      ctx.pool.release(partial);
    }
  }
  return out;
}
