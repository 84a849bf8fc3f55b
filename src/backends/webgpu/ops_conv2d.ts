// conv2d: implicit GEMM (shaders/conv2d.wgsl), torch semantics; the epilogue is composed of plain ops.
// TOL.reduction (1e-9 nmse): float32 accumulation in tile order against the reference's float64
// (worst measured on lavapipe 5e-14).
import { shapeStr } from '../../tensor.js';
import type { Conv2dOptions } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { fail, MAX_GROUPS, type GpuContext, type GpuTensor } from './context.js';
import { TILE } from './ops_gemm.js';

// y = conv2d(x, w) + b, torch semantics
export async function conv2d(ctx: GpuContext, p: OpPlan<'conv2d'>, x: GpuTensor, w: GpuTensor, b: GpuTensor | null, o: Conv2dOptions): Promise<GpuTensor> {
  const [n, c, h, wd] = x.shape;
  const [oc, , kh, kw] = w.shape;
  const g = o.groups;
  const { oh, ow } = p;
  const y = ctx.alloc('conv2d', p.shape);
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
