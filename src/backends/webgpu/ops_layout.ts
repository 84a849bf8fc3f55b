// Data movement and lookups: embedding, transpose12, prependToken, selectToken, concatLast, one thread per
// output element (shaders/<op>.wgsl). TOL.exact throughout: gathers and copies (0 measured).
import type { OpPlan } from '../ops.js';
import { fail, grid, type GpuContext, type GpuTensor } from './context.js';
import { pointwise, WG } from './pointwise.js';

// y[..., :] = table[ids[...], :]
export async function embedding(ctx: GpuContext, p: OpPlan<'embedding'>, ids: GpuTensor, table: GpuTensor): Promise<GpuTensor> {
  const host = ids.storage.hostInts;
  if (!host) fail('embedding', 'ids must be uploaded from the host (they are validated there before use)');
  for (let i = 0; i < ids.numel; i++) {
    const id = host[i];
    if (id < 0 || id >= p.vocab) fail('embedding', `id ${id} at flat index ${i} is out of range [0, ${p.vocab})`);
  }
  return pointwise(ctx, 'embedding', 'embedding', p.shape, [ids, table], [p.d]);
}

// y[a, c, b] = x[a, b, c]
export async function transpose12(ctx: GpuContext, p: OpPlan<'transpose12'>, x: GpuTensor): Promise<GpuTensor> {
  const [, b, c] = x.shape;
  return pointwise(ctx, 'transpose12', 'transpose12', p.shape, [x], [b, c]);
}

// y[n, 0] = token, y[n, t+1] = x[n, t]
export async function prependToken(ctx: GpuContext, p: OpPlan<'prependToken'>, x: GpuTensor, token: GpuTensor): Promise<GpuTensor> {
  const [, t, d] = x.shape;
  return pointwise(ctx, 'prependToken', 'prepend_token', p.shape, [x, token], [t, d]);
}

// y[n, :] = x[n, index, :]
export async function selectToken(ctx: GpuContext, p: OpPlan<'selectToken'>, x: GpuTensor, index: number): Promise<GpuTensor> {
  const [, t, d] = x.shape;
  return pointwise(ctx, 'selectToken', 'select_token', p.shape, [x], [t, d, index]);
}

// y[r, off_i + c] = xs[i][r, c]: one dispatch per input at its column offset
export async function concatLast(ctx: GpuContext, p: OpPlan<'concatLast'>, xs: readonly GpuTensor[]): Promise<GpuTensor> {
  const total = p.shape[p.shape.length - 1];
  const y = ctx.alloc('concatLast', p.shape);
  let off = 0;
  for (const [i, x] of xs.entries()) {
    const w = p.widths[i];
    if (x.numel > 0) await ctx.dispatch('concatLast', 'concat_last', { WG }, { u: [x.numel, w, total, off] }, [x, y], grid('concatLast', Math.ceil(x.numel / WG)));
    off += w;
  }
  return y;
}
