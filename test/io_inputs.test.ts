// Inputs (safetensors or .npy, with optional labels) and model config loading with key aliases.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { readInputs } from '../src/io/inputs.js';
import { loadModelConfig } from '../src/models/config.js';
import { writeSafetensors } from '../src/io/writer.js';
import type { Tensor } from '../src/tensor.js';
import { fixture } from './harness/paths.js';
import { tempDir, writeFile, npyBytes, f32Bytes } from './harness/crafted.js';
import { rejection } from './harness/errors.js';

const dir = tempDir();
const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: new Float32Array(values) });
const i64 = (values: bigint[]): Tensor => ({ dtype: 'int64', shape: [values.length], data: new BigInt64Array(values) });

const st = suite('inputs from safetensors');

st('inputs and optional labels, default and custom keys', async () => {
  const file = path.join(dir, 'in.safetensors');
  await writeSafetensors(file, { inputs: f32([2, 2], [1, 2, 3, 4]), labels: i64([1n, 0n]), x: f32([1], [9]) });
  const a = await readInputs(file);
  assert.equal(a.inputs.shape, [2, 2]);
  assert.equal(Array.from(a.labels!.data as BigInt64Array), [1n, 0n]);
  const b = await readInputs(file, { key: 'x', labelKey: 'none' });
  assert.equal(Array.from(b.inputs.data as Float32Array), [9]);
  assert.is(b.labels, undefined);
});

st('missing inputs key and float labels are errors naming file and key', async () => {
  const file = path.join(dir, 'bad.safetensors');
  await writeSafetensors(file, { data: f32([1], [1]), labels: f32([1], [0]) });
  assert.match(await rejection(readInputs(file)), new RegExp(`${file}: no inputs tensor "inputs" \\(the file holds "data", "labels"\\)`));
  assert.match(await rejection(readInputs(file, { key: 'data' })), /labels "labels" must be an integer tensor, got F32/);
});

const npy = suite('inputs from .npy');

npy('files written by NumPy: v1 float32 and v2 int64', async () => {
  const f = await readInputs(fixture('io', 'f4_2x3.npy'));
  assert.equal(f.inputs.shape, [2, 3]);
  assert.equal(Array.from(f.inputs.data as Float32Array), [0, 1, 2, 3, 4, 5].map((i) => i / 4 - 1));
  assert.is(f.labels, undefined);
  const t = await readInputs(fixture('io', 'i8_v2.npy'));
  assert.is(t.inputs.dtype, 'int64');
  assert.equal(Array.from(t.inputs.data as BigInt64Array), [0n, 5n, 2n ** 40n, -3n]);
});

npy('Fortran order is rejected', async () => {
  assert.match(await rejection(readInputs(fixture('io', 'f8_fortran.npy'))), /f8_fortran\.npy: .npy array is in Fortran order/);
});

npy('every supported descr and header version decodes', async () => {
  const cases: [string, number, Uint8Array, unknown[], string][] = [
    ['<f4', 1, f32Bytes([1.5, -2]), [1.5, -2], 'float32'],
    ['<f8', 2, new Uint8Array(new Float64Array([0.25, 1e300]).buffer), [0.25, Infinity], 'float32'],
    ['<f2', 3, new Uint8Array(new Uint16Array([0x3c00, 0x0001]).buffer), [1, 2 ** -24], 'float32'],
    ['<i8', 1, new Uint8Array(new BigInt64Array([-1n, 7n]).buffer), [-1n, 7n], 'int64'],
    ['<i4', 2, new Uint8Array(new Int32Array([-1, 7]).buffer), [-1, 7], 'int32'],
    ['|u1', 3, new Uint8Array([0, 200]), [0, 200], 'uint8'],
    ['|b1', 1, new Uint8Array([1, 0]), [1, 0], 'bool'],
  ];
  for (const [descr, version, data, want, dtype] of cases) {
    const file = writeFile(dir, `v${version}_${descr.slice(1)}.npy`, npyBytes(descr, [2], data, { version }));
    const { inputs } = await readInputs(file);
    assert.is(inputs.dtype, dtype, descr);
    assert.equal(inputs.shape, [2]);
    assert.equal(Array.from(inputs.data as ArrayLike<unknown>), want, descr);
  }
  const scalar = await readInputs(writeFile(dir, 'scalar.npy', npyBytes('<f4', [], f32Bytes([3]))));
  assert.equal(scalar.inputs.shape, []);
});

npy('bad .npy files: magic, version, dtype, size mismatch', async () => {
  const bad = (name: string, bytes: Uint8Array): Promise<string> => rejection(readInputs(writeFile(dir, name, bytes)));
  assert.match(await bad('magic.npy', Buffer.from('NUMPY not really')), /magic\.npy: not a \.npy file/);
  const v4 = npyBytes('<f4', [1], f32Bytes([1]));
  v4[6] = 4;
  assert.match(await bad('v4.npy', v4), /unsupported \.npy version 4\.0/);
  assert.match(await bad('be.npy', npyBytes('>f4', [1], f32Bytes([1]))), /be\.npy: unsupported \.npy dtype '>f4' \(expected one of '<f4'/);
  assert.match(await bad('short.npy', npyBytes('<f4', [2, 2], f32Bytes([1, 2, 3]))), /short\.npy: .npy data has 12 bytes but shape \(2, 2\) of '<f4' needs 16/);
  assert.match(await bad('long.npy', npyBytes('<f4', [1], f32Bytes([1, 2]))), /long\.npy: .npy data has 8 bytes but shape \(1\) of '<f4' needs 4/);
  assert.match(await bad('nodict.npy', npyBytes('<f4', [1], f32Bytes([1])).fill(0x20, 10, 20)), /must be a dict with 'descr'/);
});

const cfg = suite('model config');

cfg('missing config.json gives {}; beside a file or inside a folder', async () => {
  const d = tempDir();
  const ckpt = path.join(d, 'model.safetensors');
  assert.equal(await loadModelConfig(ckpt), {});
  writeFile(d, 'config.json', JSON.stringify({ architecture: 'vit', num_heads: 4, layer_norm_eps: 1e-6, hidden_size: 64 }));
  const want = { architecture: 'vit', numHeads: 4, layerNormEps: 1e-6, dims: { hidden_size: 64 } };
  assert.equal(await loadModelConfig(ckpt), want);
  assert.equal(await loadModelConfig(d), want);
});

cfg('Hugging Face aliases and resnet keys', async () => {
  const d = tempDir();
  const one = async (obj: object): Promise<unknown> => loadModelConfig('unused', writeFile(d, 'c.json', JSON.stringify(obj)));
  assert.equal(await one({ model_type: 'gpt2', n_head: 12, layer_norm_epsilon: 1e-5, n_embd: 768 }), { numHeads: 12, layerNormEps: 1e-5, modelType: 'gpt2' });
  assert.equal(await one({ num_attention_heads: 3 }), { numHeads: 3 });
  assert.equal(await one({ architecture: 'resnet', stem: 'cifar', batch_norm_eps: 1e-3 }), { architecture: 'resnet', stem: 'cifar', batchNormEps: 1e-3 });
  assert.equal(await one({ num_heads: 2, n_head: 2 }), { numHeads: 2 });
});

cfg('bad configs are errors naming the file and key', async () => {
  const d = tempDir();
  const bad = (text: string): Promise<string> => rejection(loadModelConfig('unused', writeFile(d, 'bad.json', text)));
  assert.match(await bad('{"architecture": "bert"}'), /bad\.json: unknown architecture "bert" \(expected one of mlp, resnet, vit, gpt2, clip, llama, mistral, qwen2, qwen3, gemma, gemma2, phi3\)/);
  assert.match(await bad('{"num_heads": 2, "n_head": 3}'), /"num_heads" = 2 and "n_head" = 3 disagree/);
  assert.match(await bad('{"n_head": 1.5}'), /"n_head" must be a positive integer/);
  assert.match(await bad('{"layer_norm_epsilon": -1}'), /"layer_norm_epsilon" must be a positive number/);
  assert.match(await bad('{"stem": "tiny"}'), /unknown stem "tiny" \(expected one of imagenet, cifar\)/);
  assert.match(await bad('{"architecture": '), /bad\.json: model config is not valid JSON/);
  assert.match(await bad('[1]'), /bad\.json: model config must be a JSON object/);
  assert.match(await bad('{"num_heads": 2, "num_heads": 4}'), /bad\.json: model config has duplicate key "num_heads"/);
  assert.match(await rejection(loadModelConfig('unused', path.join(d, 'absent.json'))), /absent\.json: cannot read model config \(no such file or folder\)/);
});

const missing = suite('missing input files');

missing('a missing .npy or safetensors inputs file is named in one clear error', async () => {
  for (const name of ['absent.npy', 'absent.safetensors']) {
    const file = path.join(dir, name);
    assert.is(await rejection(readInputs(file)), `${file}: cannot read inputs (no such file or folder)`);
  }
});

st.run();
npy.run();
missing.run();
cfg.run();
