// 2-D convolution, NCHW, torch semantics (zero padding, stride, dilation, groups); float64 sums.
import { shapeStr } from '../../tensor.js';
import type { Conv2dOptions, DeviceTensor } from '../backend.js';
import { expectInt, expectRank, f32, wrap, type RefTensor } from './tensor_store.js';

/** Checks a [h, w] pair of integers ≥ min. */
export function checkPair(op: string, arg: string, v: readonly number[], min: number): void {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${op}: ${arg} must be a pair [h, w] of integers ≥ ${min}, got ${JSON.stringify(v)}`);
  }
}

/** torch's output size: floor((in + 2p − d(k − 1) − 1) / s) + 1; must be ≥ 1. */
export function outSize(op: string, dim: string, size: number, k: number, s: number, p: number, d: number): number {
  const out = Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  if (out < 1) {
    throw new Error(`${op}: input ${dim} ${size} with padding ${p} is too small for kernel ${k} (dilation ${d}): output ${dim} would be ${out}`);
  }
  return out;
}

// y[n,o,i,j] = b[o] + Σ_{c∈group(o), u, v} x[n, c, i·s−p+u·d, j·s−p+v·d] · w[o, c − g0, u, v]
export function conv2d(xT: DeviceTensor, wT: DeviceTensor, bT: DeviceTensor | null, o: Conv2dOptions): RefTensor {
  const x = f32('conv2d', 'x', xT);
  const w = f32('conv2d', 'weight', wT);
  expectRank('conv2d', 'x', x.shape, 4, '[N, C, H, W]');
  expectRank('conv2d', 'weight', w.shape, 4, '[O, C/groups, kh, kw]');
  checkPair('conv2d', 'stride', o.stride, 1);
  checkPair('conv2d', 'padding', o.padding, 0);
  checkPair('conv2d', 'dilation', o.dilation, 1);
  expectInt('conv2d', 'groups', o.groups, 1);
  const [n, c, h, wd] = x.shape;
  const [oc, cg, kh, kw] = w.shape;
  const g = o.groups;
  if (c % g !== 0) throw new Error(`conv2d: x has ${c} channels, not divisible by groups = ${g}`);
  if (oc % g !== 0) throw new Error(`conv2d: weight has ${oc} output channels, not divisible by groups = ${g}`);
  if (cg * g !== c) {
    throw new Error(`conv2d: weight has ${cg} input channels per group, x has ${c} channels (groups = ${g}, expected ${c / g} per group)`);
  }
  let bias: Float32Array | null = null;
  if (bT) {
    const b = f32('conv2d', 'bias', bT);
    if (b.shape.length !== 1 || b.shape[0] !== oc) throw new Error(`conv2d: bias must have shape [${oc}], got ${shapeStr(b.shape)}`);
    bias = b.data;
  }
  const [sh, sw] = o.stride;
  const [ph, pw] = o.padding;
  const [dh, dw] = o.dilation;
  const oh = outSize('conv2d', 'height', h, kh, sh, ph, dh);
  const ow = outSize('conv2d', 'width', wd, kw, sw, pw, dw);
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
  return wrap(out, [n, oc, oh, ow]);
}
