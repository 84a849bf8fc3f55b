// Elementwise activations; computed in float64, stored as float32.
import type { DeviceTensor } from '../backend.js';
import { normalCdf } from './erf.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

function map(op: string, xT: DeviceTensor, fn: (v: number) => number): RefTensor {
  const x = f32(op, 'x', xT);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(x.data[i]);
  return wrap(out, x.shape);
}

// y = max(x, 0); Math.max returns NaN for NaN, so NaN stays NaN
export function relu(x: DeviceTensor): RefTensor {
  return map('relu', x, (v) => Math.max(v, 0));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

// y = x·Φ(x) ('erf') or ½x(1 + tanh(√(2/π)(x + 0.044715x³))) ('tanh'); gelu(−∞) = NaN as in torch
export function gelu(x: DeviceTensor, approximate: 'erf' | 'tanh'): RefTensor {
  if (approximate === 'erf') return map('gelu', x, (v) => v * normalCdf(v));
  if (approximate === 'tanh') {
    return map('gelu', x, (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
  }
  throw new Error(`gelu: approximate must be 'erf' or 'tanh', got ${String(approximate)}`);
}

// y = x·σ(1.702x) = x / (1 + e^(−1.702x)); quickGelu(−∞) = −∞·0 = NaN as in torch
export function quickGelu(x: DeviceTensor): RefTensor {
  return map('quickGelu', x, (v) => v / (1 + Math.exp(-1.702 * v)));
}
