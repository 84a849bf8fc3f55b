// Matrix products: matmul and linear. Every dot product is accumulated in float64 and rounded
// once to float32 when stored.
import { shapeStr } from '../../tensor.js';
import type { DeviceTensor } from '../backend.js';
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
export function matmul(aT: DeviceTensor, bT: DeviceTensor, transB: boolean): RefTensor {
  const a = f32('matmul', 'a', aT);
  const b = f32('matmul', 'b', bT);
  if (a.shape.length < 1) throw new Error(`matmul: a must have rank ≥ 1 ([..., K]), got shape ${shapeStr(a.shape)}`);
  if (b.shape.length !== 2) {
    throw new Error(`matmul: b must have rank 2 (${transB ? '[N, K]' : '[K, N]'}), got shape ${shapeStr(b.shape)}`);
  }
  const k = a.shape[a.shape.length - 1];
  const [bk, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (bk !== k) {
    throw new Error(`matmul: a has K = ${k} (last dim of ${shapeStr(a.shape)}), b ${shapeStr(b.shape)} has K = ${bk}${transB ? ' (transB: b is [N, K])' : ''}`);
  }
  const rows = a.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const out = gemm(a.data, b.data, null, rows, k, n, transB);
  return wrap(out, [...a.shape.slice(0, -1), n]);
}

// y[..., out] = x[..., in] · Wᵀ + b   (W as [out, in] 'outIn' or [in, out] 'inOut').
export function linear(xT: DeviceTensor, wT: DeviceTensor, bT: DeviceTensor | null, layout: 'outIn' | 'inOut'): RefTensor {
  if (layout !== 'outIn' && layout !== 'inOut') throw new Error(`linear: layout must be 'outIn' or 'inOut', got ${String(layout)}`);
  const x = f32('linear', 'x', xT);
  const w = f32('linear', 'weight', wT);
  const wLayout = layout === 'outIn' ? '[out, in]' : '[in, out]';
  if (w.shape.length !== 2) throw new Error(`linear: weight must have rank 2 (${wLayout}), got shape ${shapeStr(w.shape)}`);
  if (x.shape.length < 1) throw new Error(`linear: x must have rank ≥ 1 ([..., in]), got shape ${shapeStr(x.shape)}`);
  const [outF, inF] = layout === 'outIn' ? [w.shape[0], w.shape[1]] : [w.shape[1], w.shape[0]];
  const xin = x.shape[x.shape.length - 1];
  if (xin !== inF) throw new Error(`linear: weight ${shapeStr(w.shape)} ${wLayout} expects ${inF} input features, x ${shapeStr(x.shape)} has ${xin}`);
  let bias: Float32Array | null = null;
  if (bT) {
    const b = f32('linear', 'bias', bT);
    if (b.shape.length !== 1 || b.shape[0] !== outF) throw new Error(`linear: bias must have shape [${outF}], got ${shapeStr(b.shape)}`);
    bias = b.data;
  }
  const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const out = gemm(x.data, w.data, bias, rows, inF, outF, layout === 'outIn');
  return wrap(out, [...x.shape.slice(0, -1), outF]);
}
