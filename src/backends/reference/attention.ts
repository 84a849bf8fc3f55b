// Multi-head scaled-dot-product attention over a packed qkv tensor; float64 scores and sums.
import type { DeviceTensor } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

// out[n,i,h·E+e] = Σ_j softmax_j(q_h,i · k_h,j / √E) · v_h,j[e]   (E = D/H; causal: only j ≤ i)
export function attention(pl: OpPlan<'attention'>, qkvT: DeviceTensor, heads: number, causal: boolean): RefTensor {
  const qkv = f32('attention', 'qkv', qkvT);
  const { n, t, d } = pl;
  const d3 = 3 * d;
  const e = d / heads;
  const scale = 1 / Math.sqrt(e);
  const out = new Float32Array(n * t * d);
  const p = new Float64Array(t);
  const acc = new Float64Array(e);
  const x = qkv.data;
  for (let b = 0; b < n; b++) {
    const base = b * t * d3;
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < t; i++) {
        const qi = base + i * d3 + h * e;
        const last = causal ? i : t - 1;
        let max = -Infinity;
        for (let j = 0; j <= last; j++) {
          const kj = base + j * d3 + d + h * e;
          let s = 0;
          for (let c = 0; c < e; c++) s += x[qi + c] * x[kj + c];
          p[j] = s * scale;
          max = Math.max(max, p[j]);
        }
        let sum = 0;
        acc.fill(0);
        for (let j = 0; j <= last; j++) {
          const pj = Math.exp(p[j] - max);
          sum += pj;
          const vj = base + j * d3 + 2 * d + h * e;
          for (let c = 0; c < e; c++) acc[c] += pj * x[vj + c];
        }
        const o = (b * t + i) * d + h * e;
        for (let c = 0; c < e; c++) out[o + c] = acc[c] / sum;
      }
    }
  }
  return wrap(out, pl.shape);
}
