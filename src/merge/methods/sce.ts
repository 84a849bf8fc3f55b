// sce: Select (keep the elements with the top select_topk fraction of nonzero variance across
// task vectors), Calculate (weights w_i = mean(δ_i²) / Σ, uniform when Σ < 1e-6), Erase (TIES sign
// election on the selected δ), θ = θ_base + Σ w_i m_i δ_i / max(Σ w_i m_i, 1e-6)
// (mergekit merge_methods/sce.py sce_merge, sce_weight, sce_mask). Fixed here: mergekit's early-exit
// masks (select_topk ≤ 0) have the task vectors' shape instead of one tensor's; they zero every δ.
import type { MergeMethod } from './types.js';
import { num } from './types.js';
import { topKMask } from './sparsify.js';
import { taskVector } from './gta.js';

export const sce: MergeMethod = {
  name: 'sce',
  base: 'required',
  inputs: 'others',
  minInputs: 0,
  params: [
    { name: 'int8_mask', kind: 'bool', default: false },
    { name: 'select_topk', kind: 'number', default: 1 },
  ],
  tensorParams: [],
  merge(job) {
    const base = job.base!;
    const n = base.length;
    if (job.inputs.length === 0) return Float64Array.from(base);
    const tv = job.inputs.map((x) => taskVector(x.data, base));
    const m = tv.length;
    const topk = num(job.global.select_topk, 'select_topk');
    let keep: Uint8Array | undefined;
    if (topk < 1) {
      keep = new Uint8Array(n);
      if (topk > 0) {
        const variance = new Float32Array(n);
        let nonzero = 0;
        for (let i = 0; i < n; i++) {
          let mu = 0;
          for (let j = 0; j < m; j++) mu += tv[j][i];
          mu /= m;
          let v = 0;
          for (let j = 0; j < m; j++) v += (tv[j][i] - mu) ** 2;
          variance[i] = v / m;
          if (variance[i] !== 0) nonzero++;
        }
        keep = topKMask(variance, Math.floor(nonzero * topk));
      }
    }
    const d = tv.map((t) => Float64Array.from(t, (v, i) => (keep && !keep[i] ? 0 : v)));
    const msq = d.map((t) => t.reduce((s, v) => s + v * v, 0) / n);
    const total = msq.reduce((a, b) => a + b, 0);
    const w = Math.abs(total) < 1e-6 ? msq.map(() => 1 / m) : msq.map((v) => v / total);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += d[j][i];
      const elected = s >= 0 ? 1 : -1;
      let mixed = 0, div = 0;
      for (let j = 0; j < m; j++) {
        if (Math.sign(d[j][i]) === elected) {
          mixed += w[j] * d[j][i];
          div += w[j];
        }
      }
      out[i] = base[i] + mixed / Math.max(div, 1e-6);
    }
    return out;
  },
  source: 'mergekit/merge_methods/sce.py sce_merge, sce_weight, sce_mask',
};
