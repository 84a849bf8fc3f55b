// Normalisations (eval mode): batchNorm over channel dim 1, layerNorm and l2Normalize over the last dim.
// Mean and variance are accumulated in float64.
import { shapeStr } from '../../tensor.js';
import type { DeviceTensor } from '../backend.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

function vector(op: string, arg: string, t: DeviceTensor, len: number, what: string): Float32Array {
  const v = f32(op, arg, t);
  if (v.shape.length !== 1 || v.shape[0] !== len) {
    throw new Error(`${op}: ${arg} must have shape [${len}] (${what}), got ${shapeStr(v.shape)}`);
  }
  return v.data;
}

function checkEps(op: string, eps: number): void {
  if (!Number.isFinite(eps) || eps < 0) throw new Error(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
}

// y = (x − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c], c = dim 1
export function batchNorm(
  xT: DeviceTensor, meanT: DeviceTensor, varT: DeviceTensor, wT: DeviceTensor, bT: DeviceTensor, eps: number,
): RefTensor {
  const x = f32('batchNorm', 'x', xT);
  if (x.shape.length < 2) throw new Error(`batchNorm: x must have rank ≥ 2 ([N, C, ...]), got shape ${shapeStr(x.shape)}`);
  checkEps('batchNorm', eps);
  const c = x.shape[1];
  const what = `one per channel of x ${shapeStr(x.shape)}`;
  const mean = vector('batchNorm', 'mean', meanT, c, what);
  const vari = vector('batchNorm', 'variance', varT, c, what);
  const weight = vector('batchNorm', 'weight', wT, c, what);
  const bias = vector('batchNorm', 'bias', bT, c, what);
  const inner = x.shape.slice(2).reduce((p, d) => p * d, 1);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const ch = Math.floor(i / inner) % c;
    out[i] = ((x.data[i] - mean[ch]) / Math.sqrt(vari[ch] + eps)) * weight[ch] + bias[ch];
  }
  return wrap(out, x.shape);
}

// y = (x − μ) / sqrt(σ² + eps) · weight + bias, μ and biased σ² over the last dim
export function layerNorm(xT: DeviceTensor, wT: DeviceTensor, bT: DeviceTensor, eps: number): RefTensor {
  const x = f32('layerNorm', 'x', xT);
  if (x.shape.length < 1) throw new Error(`layerNorm: x must have rank ≥ 1 ([..., D]), got shape ${shapeStr(x.shape)}`);
  checkEps('layerNorm', eps);
  const d = x.shape[x.shape.length - 1];
  const what = `the last dim of x ${shapeStr(x.shape)}`;
  const weight = vector('layerNorm', 'weight', wT, d, what);
  const bias = vector('layerNorm', 'bias', bT, d, what);
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
export function l2Normalize(xT: DeviceTensor): RefTensor {
  const x = f32('l2Normalize', 'x', xT);
  if (x.shape.length < 1) throw new Error(`l2Normalize: x must have rank ≥ 1 ([..., D]), got shape ${shapeStr(x.shape)}`);
  const d = x.shape[x.shape.length - 1];
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length; r += d) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x.data[r + i] * x.data[r + i];
    const norm = Math.sqrt(ss);
    for (let i = 0; i < d; i++) out[r + i] = x.data[r + i] / norm;
  }
  return wrap(out, x.shape);
}
