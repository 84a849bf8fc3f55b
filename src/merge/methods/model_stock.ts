// model_stock: cos = mean over pairs of cos(θ_i − θ_0, θ_j − θ_0) (norm product clamped at 1e-6,
// cos clamped to [−1, 1]); t = N·cos / (1 + (N − 1)·cos); θ = t·mean(θ_i) + (1 − t)·θ_0. Over the
// flattened tensor, or per row of the last axis with filter_wise
// (mergekit merge_methods/model_stock.py ModelStockMergeTask.execute).
import type { MergeMethod } from './types.js';

export const modelStock: MergeMethod = {
  name: 'model_stock',
  base: 'required',
  inputs: 'others',
  minInputs: 2,
  params: [{ name: 'filter_wise', kind: 'bool', default: false }],
  tensorParams: [],
  merge(job) {
    const w0 = job.base!;
    const ws = job.inputs.map((x) => x.data);
    const n = w0.length;
    const len = job.global.filter_wise === true && job.shape.length ? job.shape[job.shape.length - 1] : n;
    const out = new Float64Array(n);
    const N = ws.length;
    for (let o = 0; o < n; o += len) {
      let cosSum = 0;
      let pairs = 0;
      for (let a = 0; a < N; a++) {
        for (let b = a + 1; b < N; b++) {
          let d = 0, aa = 0, bb = 0;
          for (let i = o; i < o + len; i++) {
            const x = ws[a][i] - w0[i], y = ws[b][i] - w0[i];
            d += x * y; aa += x * x; bb += y * y;
          }
          cosSum += Math.min(1, Math.max(-1, d / Math.max(Math.sqrt(aa) * Math.sqrt(bb), 1e-6)));
          pairs++;
        }
      }
      const cos = cosSum / pairs;
      const t = (N * cos) / (1 + (N - 1) * cos);
      for (let i = o; i < o + len; i++) {
        let avg = 0;
        for (let a = 0; a < N; a++) avg += ws[a][i];
        out[i] = (t * avg) / N + (1 - t) * w0[i];
      }
    }
    return out;
  },
  source: 'mergekit/merge_methods/model_stock.py ModelStockMergeTask.execute',
};
