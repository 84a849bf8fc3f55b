// 2-D convolution, NCHW, torch semantics (zero padding, stride, dilation, groups); float64 sums.
import type { Conv2dOptions, DeviceTensor } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

// y[n,o,i,j] = b[o] + Σ_{c∈group(o), u, v} x[n, c, i·s−p+u·d, j·s−p+v·d] · w[o, c − g0, u, v]
export function conv2d(p: OpPlan<'conv2d'>, xT: DeviceTensor, wT: DeviceTensor, bT: DeviceTensor | null, o: Conv2dOptions): RefTensor {
  const x = f32('conv2d', 'x', xT);
  const w = f32('conv2d', 'weight', wT);
  const bias = bT ? f32('conv2d', 'bias', bT).data : null;
  const [n, c, h, wd] = x.shape;
  const [oc, cg, kh, kw] = w.shape;
  const g = o.groups;
  const [sh, sw] = o.stride;
  const [ph, pw] = o.padding;
  const [dh, dw] = o.dilation;
  const { oh, ow } = p;
  const ocg = oc / g;
  const out = new Float32Array(n * oc * oh * ow);
  const acc = new Float64Array(oh * ow);
  for (let b = 0; b < n; b++) {
    for (let co = 0; co < oc; co++) {
      acc.fill(bias ? bias[co] : 0);
      const c0 = Math.floor(co / ocg) * cg;
      // add each kernel tap's weight times the shifted input plane; taps falling in the padding add 0
      for (let ci = 0; ci < cg; ci++) {
        const plane = (b * c + c0 + ci) * h * wd;
        for (let u = 0; u < kh; u++) {
          for (let v = 0; v < kw; v++) {
            const wv = w.data[((co * cg + ci) * kh + u) * kw + v];
            const dx = v * dw - pw;
            const j0 = Math.max(0, Math.ceil(-dx / sw));
            const j1 = Math.min(ow, Math.floor((wd - 1 - dx) / sw) + 1);
            for (let i = 0; i < oh; i++) {
              const y = i * sh - ph + u * dh;
              if (y < 0 || y >= h) continue;
              const row = plane + y * wd + dx;
              for (let j = j0; j < j1; j++) acc[i * ow + j] += wv * x.data[row + j * sw];
            }
          }
        }
      }
      out.set(acc, (b * oc + co) * oh * ow);
    }
  }
  return wrap(out, p.shape);
}
