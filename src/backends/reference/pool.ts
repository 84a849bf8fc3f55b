// 2-D pooling over NCHW tensors, torch semantics (ceil_mode=False, dilation 1); float64 sums.
import type { DeviceTensor, Pool2dOptions } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

type Window = (
  plane: Float32Array, base: number, h: number, w: number,
  y0: number, y1: number, x0: number, x1: number,
) => number;

/** Shared walk over output positions; `reduce` sees the window [y0, y1) × [x0, x1) clipped to the input. */
function pool(op: string, p: OpPlan<'maxPool2d'>, xT: DeviceTensor, o: Pool2dOptions, reduce: Window): RefTensor {
  const x = f32(op, 'x', xT);
  const [n, c, h, w] = x.shape;
  const [kh, kw] = o.kernel;
  const [sh, sw] = o.stride;
  const [ph, pw] = o.padding;
  const { oh, ow } = p;
  const out = new Float32Array(n * c * oh * ow);
  for (let q = 0; q < n * c; q++) {
    for (let i = 0; i < oh; i++) {
      const ys = i * sh - ph;
      for (let j = 0; j < ow; j++) {
        const xs = j * sw - pw;
        out[(q * oh + i) * ow + j] = reduce(
          x.data, q * h * w, h, w,
          Math.max(ys, 0), Math.min(ys + kh, h), Math.max(xs, 0), Math.min(xs + kw, w),
        );
      }
    }
  }
  return wrap(out, p.shape);
}

// y = max over the window (padding counts as −∞); any NaN in the window gives NaN, as torch does.
export function maxPool2d(p: OpPlan<'maxPool2d'>, x: DeviceTensor, o: Pool2dOptions): RefTensor {
  return pool('maxPool2d', p, x, o, (d, base, _h, w, y0, y1, x0, x1) => {
    let m = -Infinity;
    for (let y = y0; y < y1; y++) {
      for (let xx = x0; xx < x1; xx++) {
        const v = d[base + y * w + xx];
        if (v > m || Number.isNaN(v)) m = v;
      }
    }
    return m;
  });
}

// y = Σ window / (kh·kw)  (count_include_pad=True: padded zeros count; with ceil_mode=False every
// window lies inside the padded input, so the divisor is always kh·kw).
export function avgPool2d(p: OpPlan<'avgPool2d'>, x: DeviceTensor, o: Pool2dOptions): RefTensor {
  const area = o.kernel[0] * o.kernel[1];
  return pool('avgPool2d', p, x, o, (d, base, _h, w, y0, y1, x0, x1) => {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += d[base + y * w + xx];
    return s / area;
  });
}

// y[i,j] = mean of x over rows [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉) × cols [⌊j·W/ow⌋, ⌈(j+1)·W/ow⌉)
export function adaptiveAvgPool2d(_p: OpPlan<'adaptiveAvgPool2d'>, xT: DeviceTensor, oh: number, ow: number): RefTensor {
  const x = f32('adaptiveAvgPool2d', 'x', xT);
  const [n, c, h, w] = x.shape;
  const out = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < oh; i++) {
      const y0 = Math.floor((i * h) / oh);
      const y1 = Math.ceil(((i + 1) * h) / oh);
      for (let j = 0; j < ow; j++) {
        const x0 = Math.floor((j * w) / ow);
        const x1 = Math.ceil(((j + 1) * w) / ow);
        let s = 0;
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += x.data[(p * h + y) * w + xx];
        out[(p * oh + i) * ow + j] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return wrap(out, [n, c, oh, ow]);
}
