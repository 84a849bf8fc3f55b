// Normalisations (eval mode): batchNorm over channel dim 1, layerNorm and l2Normalize over the last dim.
// Mean and variance are accumulated in float64.
import type { DeviceTensor } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

// y = (x − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c], c = dim 1
export function batchNorm(
  p: OpPlan<'batchNorm'>, xT: DeviceTensor, meanT: DeviceTensor, varT: DeviceTensor, wT: DeviceTensor, bT: DeviceTensor, eps: number,
): RefTensor {
  const x = f32('batchNorm', 'x', xT);
  const { c, inner } = p;
  const mean = f32('batchNorm', 'mean', meanT).data;
  const vari = f32('batchNorm', 'variance', varT).data;
  const weight = f32('batchNorm', 'weight', wT).data;
  const bias = f32('batchNorm', 'bias', bT).data;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const ch = Math.floor(i / inner) % c;
    out[i] = ((x.data[i] - mean[ch]) / Math.sqrt(vari[ch] + eps)) * weight[ch] + bias[ch];
  }
  return wrap(out, x.shape);
}

// y = (x − μ) / sqrt(σ² + eps) · weight + bias, μ and biased σ² over the last dim
export function layerNorm(p: OpPlan<'layerNorm'>, xT: DeviceTensor, wT: DeviceTensor, bT: DeviceTensor, eps: number): RefTensor {
  const x = f32('layerNorm', 'x', xT);
  const { d } = p;
  const weight = f32('layerNorm', 'weight', wT).data;
  const bias = f32('layerNorm', 'bias', bT).data;
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length; r += d) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x.data[r + i];
    const mu = s / d;
    let ss = 0;
    for (let i = 0; i < d; i++) ss += (x.data[r + i] - mu) ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) out[r + i] = (x.data[r + i] - mu) * inv * weight[i] + bias[i];
  }
  return wrap(out, x.shape);
}

// y = x / ‖x‖₂ over the last dim, Σx² in float64 (a zero row: 0/0 = NaN, as torch)
export function l2Normalize(p: OpPlan<'l2Normalize'>, xT: DeviceTensor): RefTensor {
  const x = f32('l2Normalize', 'x', xT);
  const { d } = p;
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length; r += d) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x.data[r + i] * x.data[r + i];
    const norm = Math.sqrt(ss);
    for (let i = 0; i < d; i++) out[r + i] = x.data[r + i] / norm;
  }
  return wrap(out, x.shape);
}
