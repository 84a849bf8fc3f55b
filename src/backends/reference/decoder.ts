// Decoder-LLM ops on the reference backend (float64 accumulation): rmsNorm, rope, silu, mul,
// groupedAttention, narrow, softcap. Each takes the plan the op table checked (../ops.ts).
import type { AttentionOptions, DeviceTensor } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

// y = x / sqrt(Σx²/D + eps) · (w or 1 + w) per row of the last dim
export function rmsNorm(p: OpPlan<'rmsNorm'>, xT: DeviceTensor, wT: DeviceTensor, eps: number, unitOffset: boolean): RefTensor {
  const { d } = p;
  const x = f32('rmsNorm', 'x', xT).data;
  const w = f32('rmsNorm', 'weight', wT).data;
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += d) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[r + i] * x[r + i];
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) out[r + i] = x[r + i] * inv * (unitOffset ? 1 + w[i] : w[i]);
  }
  return wrap(out, xT.shape);
}

// y_i = x_i c_i − x_{i+h} s_i, y_{i+h} = x_{i+h} c_i + x_i s_i for i < h = R/2 (per token t); rest copied
export function rope(p: OpPlan<'rope'>, xT: DeviceTensor, cosT: DeviceTensor, sinT: DeviceTensor): RefTensor {
  const { n, t, heads, e, half } = p;
  const x = f32('rope', 'x', xT).data;
  const cos = f32('rope', 'cos', cosT).data;
  const sin = f32('rope', 'sin', sinT).data;
  const out = x.slice();
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < t; p++) {
      for (let h = 0; h < heads; h++) {
        const o = ((b * t + p) * heads + h) * e;
        for (let i = 0; i < half; i++) {
          const c = cos[p * half + i], s = sin[p * half + i];
          const x1 = x[o + i], x2 = x[o + i + half];
          out[o + i] = x1 * c - x2 * s;
          out[o + i + half] = x2 * c + x1 * s;
        }
      }
    }
  }
  return wrap(out, xT.shape);
}

// y = x / (1 + e^−x)
export function silu(_p: OpPlan<'silu'>, xT: DeviceTensor): RefTensor {
  const x = f32('silu', 'x', xT).data;
  return wrap(Float32Array.from(x, (v) => v / (1 + Math.exp(-v))), xT.shape);
}

// y = a · b (b repeated over a's leading dims)
export function mul(p: OpPlan<'mul'>, aT: DeviceTensor, bT: DeviceTensor): RefTensor {
  const { shape } = p;
  const a = f32('mul', 'a', aT).data;
  const b = f32('mul', 'b', bT).data;
  return wrap(Float32Array.from(a, (v, i) => v * b[i % b.length]), shape);
}

// out[n,i,h·E+c] = Σ_j softmax_j(cap(q_{i,h} · k_{j,g} · scale)) v_{j,g}[c], g = ⌊h / (H/Hkv)⌋, j allowed by the mask
export function groupedAttention(plan: OpPlan<'groupedAttention'>, qT: DeviceTensor, kT: DeviceTensor, vT: DeviceTensor, o: AttentionOptions): RefTensor {
  const { n, t, s, e, group, out: outShape } = plan;
  const q = f32('groupedAttention', 'q', qT).data;
  const k = f32('groupedAttention', 'k', kT).data;
  const v = f32('groupedAttention', 'v', vT).data;
  const H = o.heads, kvd = o.kvHeads * e;
  const out = new Float32Array(n * t * H * e);
  const p = new Float64Array(s);
  const acc = new Float64Array(e);
  for (let b = 0; b < n; b++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      for (let i = 0; i < t; i++) {
        const first = o.window ? Math.max(0, i - o.window + 1) : 0;
        const last = o.causal ? i : s - 1;
        const qi = (b * t + i) * H * e + h * e;
        let max = -Infinity;
        for (let j = first; j <= last; j++) {
          const kj = (b * s + j) * kvd + g * e;
          let d = 0;
          for (let c = 0; c < e; c++) d += q[qi + c] * k[kj + c];
          d *= o.scale;
          if (o.softcap) d = o.softcap * Math.tanh(d / o.softcap);
          p[j] = d;
          max = Math.max(max, d);
        }
        let sum = 0;
        acc.fill(0);
        for (let j = first; j <= last; j++) {
          const w = Math.exp(p[j] - max);
          sum += w;
          const vj = (b * s + j) * kvd + g * e;
          for (let c = 0; c < e; c++) acc[c] += w * v[vj + c];
        }
        for (let c = 0; c < e; c++) out[qi + c] = acc[c] / sum;
      }
    }
  }
  return wrap(out, outShape);
}

// y[r, :] = x[r, start : start + length]
export function narrow(p: OpPlan<'narrow'>, xT: DeviceTensor, start: number, length: number): RefTensor {
  const { rows, d, out: shape } = p;
  const x = f32('narrow', 'x', xT).data;
  const out = new Float32Array(rows * length);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * d + start, r * d + start + length), r * length);
  return wrap(out, shape);
}

// y = cap · tanh(x / cap)
export function softcap(_p: OpPlan<'softcap'>, xT: DeviceTensor, cap: number): RefTensor {
  const x = f32('softcap', 'x', xT).data;
  return wrap(Float32Array.from(x, (v) => cap * Math.tanh(v / cap)), xT.shape);
}
