// Config values reach the math: layer_norm_eps (ViT, GPT-2), batch_norm_eps and stem (ResNet) change
// the forward pass exactly as PyTorch would. Checked against the golden fixtures and by recomputing
// the affected op independently here (float64, straight from its definition).
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../src/backends/index.js';
import type { Backend } from '../src/backends/backend.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { readInputs } from '../src/io/inputs.js';
import { forward } from '../src/models/forward.js';
import type { ModelConfig } from '../src/models/family.js';
import { openModel } from '../src/models/open.js';
import { isFloat, type FloatTensor } from '../src/tensor.js';
import { fixture } from './harness/paths.js';

let be: Backend;
test.before(async () => {
  be = await createBackend('reference');
});
test.after(() => be.dispose());

/** Every hook of fixture `name` with `config` layered over its config.json. */
async function run(name: string, config: Partial<ModelConfig> = {}): Promise<Map<string, FloatTensor>> {
  const dir = fixture('models', name);
  const { checkpoint, model } = await openModel(path.join(dir, 'model.safetensors'), { config });
  try {
    const { inputs } = await readInputs(path.join(dir, 'inputs.safetensors'));
    return await forward(be, model, checkpoint, inputs);
  } finally {
    await checkpoint.close();
  }
}

async function golden(name: string, hook: string): Promise<FloatTensor> {
  const c = await openCheckpoint(fixture('models', name, 'outputs.safetensors'));
  const t = await c.read(hook);
  await c.close();
  assert.ok(isFloat(t));
  return t;
}

/** max |a − b| relative to max |b|. */
function relDiff(a: FloatTensor, b: FloatTensor): number {
  assert.equal(a.shape, b.shape);
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.data.length; i++) {
    d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
    m = Math.max(m, Math.abs(b.data[i]));
  }
  return d / m;
}

/** y = (x − μ) / sqrt(σ² + eps) · w + b over the last dim, in float64. */
async function layerNormHere(x: FloatTensor, ckptFile: string, prefix: string, eps: number): Promise<FloatTensor> {
  const c = await openCheckpoint(ckptFile);
  const w = (await c.read(`${prefix}.weight`)).data as Float32Array;
  const b = (await c.read(`${prefix}.bias`)).data as Float32Array;
  await c.close();
  const d = w.length;
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length; r += d) {
    const row = Array.from(x.data.subarray(r, r + d));
    const mu = row.reduce((s, v) => s + v, 0) / d;
    const inv = 1 / Math.sqrt(row.reduce((s, v) => s + (v - mu) ** 2, 0) / d + eps);
    row.forEach((v, i) => (out[r + i] = (v - mu) * inv * w[i] + b[i]));
  }
  return { dtype: 'float32', shape: [...x.shape], data: out };
}

for (const [name, finalLn, lastBlock] of [
  ['vit', 'encoder.ln', 'encoder.layers.encoder_layer_1'],
  ['gpt2', 'transformer.ln_f', 'transformer.h.1'],
] as const) {
  test(`${name}: layer_norm_eps reaches every LayerNorm`, async () => {
    const eps = 0.5;
    const base = await run(name);
    assert.ok(relDiff(base.get(finalLn)!, await golden(name, finalLn)) <= 1e-5, 'default eps matches PyTorch');
    const wide = await run(name, { layerNormEps: eps });
    assert.ok(relDiff(wide.get(lastBlock)!, base.get(lastBlock)!) > 1e-3, `${lastBlock}: the blocks' LayerNorms use the configured eps`);
    const want = await layerNormHere(wide.get(lastBlock)!, fixture('models', name, 'model.safetensors'), finalLn, eps);
    assert.ok(relDiff(wide.get(finalLn)!, want) <= 1e-6, `${finalLn} = LayerNorm(${lastBlock}, eps ${eps})`);
  });
}

test('resnet: batch_norm_eps reaches the BatchNorms', async () => {
  const name = 'resnet_basic_cifar';
  const base = await run(name);
  assert.ok(relDiff(base.get('fc')!, await golden(name, 'fc')) <= 1e-5, 'default eps matches PyTorch');
  const wide = await run(name, { batchNormEps: 10 });
  assert.equal(wide.get('conv1')!.data, base.get('conv1')!.data, 'conv1 comes before any BatchNorm');
  assert.ok(relDiff(wide.get('layer1.0')!, base.get('layer1.0')!) > 1e-3);
});

test('resnet: stem "cifar" on a 7×7 conv1 runs it at stride 1 with no max pool', async () => {
  const name = 'resnet_bottleneck_imagenet';
  const ref = await golden(name, 'conv1'); // stride 2, padding 3: [2, 8, 15, 19]
  const out = await run(name, { stem: 'cifar' });
  const conv1 = out.get('conv1')!;
  const [n, c, h, w] = conv1.shape;
  assert.equal(conv1.shape, [2, 8, 29, 37], 'stride 1 keeps the 29×37 image size');
  // The stride-1 output sampled at even positions is the stride-2 output PyTorch computed.
  const [, , oh, ow] = ref.shape;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < n * c; i++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const r = ref.data[(i * oh + y) * ow + x];
        maxRef = Math.max(maxRef, Math.abs(r));
        maxDiff = Math.max(maxDiff, Math.abs(conv1.data[(i * h + 2 * y) * w + 2 * x] - r));
      }
    }
  }
  assert.ok(maxDiff <= 1e-5 * maxRef, `conv1 at even positions: max |Δ| ${maxDiff}`);
  assert.equal(out.get('layer1.0')!.shape, [2, 32, 29, 37], 'no max pool after the stem');
});

test.run();
