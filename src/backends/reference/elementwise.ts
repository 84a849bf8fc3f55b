// Elementwise ops: relu, gelu, add; computed in float64, stored as float32.
import type { DeviceTensor } from '../backend.js';
import type { OpPlan } from '../ops.js';
import { normalCdf } from './erf.js';
import { f32, wrap, type RefTensor } from './tensor_store.js';

function map(op: string, xT: DeviceTensor, fn: (v: number) => number): RefTensor {
  const x = f32(op, 'x', xT);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(x.data[i]);
  return wrap(out, x.shape);
}

// y = max(x, 0); Math.max returns NaN for NaN, so NaN stays NaN
export function relu(_p: OpPlan<'relu'>, x: DeviceTensor): RefTensor {
  return map('relu', x, (v) => Math.max(v, 0));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

// y = x·Φ(x) ('erf') or ½x(1 + tanh(√(2/π)(x + 0.044715x³))) ('tanh'); gelu(−∞) = NaN as in torch
export function gelu(_p: OpPlan<'gelu'>, x: DeviceTensor, approximate: 'erf' | 'tanh'): RefTensor {
  if (approximate === 'erf') return map('gelu', x, (v) => v * normalCdf(v));
  return map('gelu', x, (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
}

// y = x·σ(1.702x) = x / (1 + e^(−1.702x)); quickGelu(−∞) = −∞·0 = NaN as in torch
export function quickGelu(_p: OpPlan<'quickGelu'>, x: DeviceTensor): RefTensor {
  return map('quickGelu', x, (v) => v / (1 + Math.exp(-1.702 * v)));
}

// y = a + b, b's shape a suffix of a's (b repeats over a's leading dims)
export function add(p: OpPlan<'add'>, aT: DeviceTensor, bT: DeviceTensor): RefTensor {
  const a = f32('add', 'a', aT);
  const b = f32('add', 'b', bT);
  const out = new Float32Array(a.data.length);
  const m = b.data.length;
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i % m];
  return wrap(out, p.shape);
}
