// Matrix products: matmul and linear. Every dot product is accumulated in float64 and rounded
// once to float32 when stored.
import type { DeviceTensor } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

/** out[m·N + n] = Σ_k a[m·K + k] · B(k, n) (+ bias[n]), summed in float64. B is [K, N] row-major,
 *  or [N, K] when `bT` (then each output is a dot product of two contiguous rows). */
function gemm(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number, bT: boolean): Float32Array {
  const out = new Float32Array(m * n);
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    if (bT) {
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        acc[j] = s;
      }
    } else {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const av = a[ai + p];
        const bp = p * n;
        for (let j = 0; j < n; j++) acc[j] += av * b[bp + j];
      }
    }
    for (let j = 0; j < n; j++) out[i * n + j] = bias ? acc[j] + bias[j] : acc[j];
  }
  return out;
}

// C[..., M, N] = A[..., M, K] · B[K, N]  (transB: B given as [N, K]); A's leading dims are kept.
export function matmul(p: OpPlan<'matmul'>, aT: DeviceTensor, bT: DeviceTensor, transB: boolean): RefTensor {
  const a = f32('matmul', 'a', aT), b = f32('matmul', 'b', bT);
  return wrap(gemm(a.data, b.data, null, p.m, p.k, p.n, transB), p.shape);
}

// y[..., out] = x[..., in] · Wᵀ + b   (W as [out, in] 'outIn' or [in, out] 'inOut').
export function linear(p: OpPlan<'linear'>, xT: DeviceTensor, wT: DeviceTensor, bT: DeviceTensor | null, layout: 'outIn' | 'inOut'): RefTensor {
  const x = f32('linear', 'x', xT), w = f32('linear', 'weight', wT);
  const bias = bT ? f32('linear', 'bias', bT).data : null;
  return wrap(gemm(x.data, w.data, bias, p.m, p.k, p.n, layout === 'outIn'), p.shape);
}
