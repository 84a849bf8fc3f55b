// Small synthetic checkpoints for sweep and merge tests: torch-named nn.Sequential MLPs with seeded
// random weights, written with ctlkit's own safetensors writer.
import { writeSafetensors } from '../../src/io/writer.js';
import type { FloatOutDType } from '../../src/io/writer.js';
import type { Tensor } from '../../src/tensor.js';
import { makeRng } from './rng.js';

/** Deterministic values in [-1, 1). */
const seededUniform = (seed: number): (() => number) => {
  const rng = makeRng(seed);
  return () => rng.uniform(-1, 1);
};

export function randomTensor(shape: number[], seed: number, scale = 1): Tensor {
  const r = seededUniform(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, () => r() * scale) };
}

/** MLP tensors `0.weight, 0.bias, 2.weight, …` for layer widths [in, h1, …, out]. */
export function mlpTensors(widths: readonly number[], seed: number): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (let i = 0; i + 1 < widths.length; i++) {
    const scale = Math.sqrt(3 / widths[i]);
    out.set(`${2 * i}.weight`, randomTensor([widths[i + 1], widths[i]], seed * 1000 + 2 * i, scale));
    out.set(`${2 * i}.bias`, randomTensor([widths[i + 1]], seed * 1000 + 2 * i + 1, 0.1));
  }
  return out;
}

export async function writeMlp(file: string, widths: readonly number[], seed: number, opts: { dtype?: FloatOutDType; extra?: Record<string, Tensor> } = {}): Promise<Map<string, Tensor>> {
  const t = mlpTensors(widths, seed);
  for (const [k, v] of Object.entries(opts.extra ?? {})) t.set(k, v);
  await writeSafetensors(file, t, { dtype: opts.dtype });
  return t;
}

/** inputs [n, d] and labels [n] in [0, classes). */
export async function writeInputs(file: string, n: number, d: number, classes: number, seed: number): Promise<{ inputs: Tensor; labels: Tensor }> {
  const inputs = randomTensor([n, d], seed);
  const r = seededUniform(seed + 1);
  const labels: Tensor = { dtype: 'int64', shape: [n], data: BigInt64Array.from({ length: n }, () => BigInt(Math.floor(((r() + 1) / 2) * classes))) };
  await writeSafetensors(file, { inputs, labels });
  return { inputs, labels };
}
