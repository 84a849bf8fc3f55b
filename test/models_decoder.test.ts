// Decoder-LLM goldens (tools/gen_fixtures_decoder.py: each family in torch from HF's modeling code,
// checked there against Meta's complex RoPE and a per-position attention loop) on the reference,
// native and WebGPU backends: every hook within max |Δ| ≤ 1e-5 × max |ref|; and the decoder's
// bad-input errors (unknown model_type, dims contradicting tensors, missing shard, token ids ≥ vocab).
import { readdirSync, readFileSync, mkdtempSync, cpSync, writeFileSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend } from '../src/backends/backend.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { readInputs } from '../src/io/inputs.js';
import { forward } from '../src/models/forward.js';
import { openModel } from '../src/models/open.js';
import { ropeTables } from '../src/models/rope.js';
import { isFloat } from '../src/tensor.js';
import { fixture } from './harness/paths.js';
import { trackBackend } from './harness/tracking_backend.js';
import { openTestBackend } from './harness/backends.js';

const root = fixture('decoders');
const cases = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const info = (name: string) => JSON.parse(readFileSync(path.join(root, name, 'case.json'), 'utf8')) as { family: string; checkpoint: string; weights_dtype: string };

async function checkCase(be: Backend, name: string): Promise<void> {
  const dir = path.join(root, name);
  const { checkpoint, model } = await openModel(path.join(dir, info(name).checkpoint));
  const golden = await openCheckpoint(path.join(dir, 'outputs.safetensors'));
  try {
    const hooks = JSON.parse(readFileSync(path.join(dir, 'hooks.json'), 'utf8')) as string[];
    assert.equal([...model.hooks], hooks);
    assert.is(model.config.architecture, info(name).family);
    const { inputs } = await readInputs(path.join(dir, 'inputs.safetensors'));
    const tracked = trackBackend(be);
    const features = await forward(tracked.be, model, checkpoint, inputs);
    assert.is(tracked.live(), 0, `${name} on ${be.name}: tensors left on the backend`);
    for (const hook of hooks) {
      const ref = await golden.read(hook);
      const got = features.get(hook)!;
      assert.ok(isFloat(ref));
      assert.equal(got.shape, ref.shape, `${name}: ${hook} shape`);
      let maxRef = 0, maxDiff = 0;
      for (let i = 0; i < ref.data.length; i++) {
        maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
        const d = Math.abs(got.data[i] - ref.data[i]);
        maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
      }
      assert.ok(maxDiff <= 1e-5 * maxRef, `${name} on ${be.name}: ${hook} max |Δ| ${maxDiff.toExponential(3)} > 1e-5 × ${maxRef.toExponential(3)}`);
    }
  } finally {
    await golden.close();
    await checkpoint.close();
  }
}

const Cover = suite('decoder goldens cover');
Cover('every family, rope type, GQA/MHA/MQA, tied/untied, bias, BF16 shards', () => {
  assert.equal([...new Set(cases.map((c) => info(c).family))].sort(), ['gemma', 'gemma2', 'llama', 'mistral', 'phi3', 'qwen2', 'qwen3']);
  const ropes = new Set(cases.map((c) => {
    const cfg = JSON.parse(readFileSync(path.join(root, c, 'config.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const r = cfg.rope_parameters ?? cfg.rope_scaling;
    return r ? r.rope_type ?? r.type : 'default';
  }));
  assert.equal([...ropes].sort(), ['default', 'dynamic', 'linear', 'llama3', 'longrope', 'yarn']);
  assert.ok(cases.some((c) => info(c).weights_dtype === 'BF16' && info(c).checkpoint.endsWith('.index.json')));
});
Cover.run();

for (const name of ['reference', 'native', 'webgpu'] as const) {
  const be = await openTestBackend(name, 'models_decoder');
  if (!be) continue;
  const s = suite(`decoders on ${name}`);
  for (const c of cases) s(c, () => checkCase(be, c));
  s.after(() => be.dispose());
  s.run();
}

const Rope = suite('rope tables');
Rope('default tables: cos² + sin² = 1, angle = position · θ^(−2i/R) in float32', () => {
  const rope = { type: 'default' as const, theta: 10000, partialRotaryFactor: 1 };
  const { cos, sin, half } = ropeTables(rope, 8, 5);
  assert.is(half, 4);
  for (let i = 0; i < cos.length; i++) assert.ok(Math.abs(cos[i] ** 2 + sin[i] ** 2 - 1) < 1e-6);
  assert.ok(Math.abs(cos[3 * half + 1] - Math.cos(3 * Math.fround(1 / Math.fround(Math.pow(10000, 0.25))))) < 1e-6);
});
Rope.run();

// ---- bad input: one line naming the file and key ----
const Errors = suite('decoder bad input');
function copyCase(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctlkit-decoder-'));
  cpSync(path.join(root, name), dir, { recursive: true });
  return dir;
}
async function openError(file: string): Promise<string> {
  try {
    const { checkpoint } = await openModel(file);
    await checkpoint.close();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${file}: expected an error`);
}
const editConfig = (dir: string, edit: (c: Record<string, unknown>) => void): void => {
  const file = path.join(dir, 'config.json');
  const c = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(c);
  writeFileSync(file, JSON.stringify(c));
};

Errors('unknown model_type lists the known ones', async () => {
  const dir = copyCase('llama_gqa');
  editConfig(dir, (c) => void (c.model_type = 'falcon'));
  const msg = await openError(path.join(dir, 'model.safetensors'));
  assert.match(msg, /"model_type" "falcon"/);
  assert.match(msg, /llama, mistral, qwen2, qwen3, gemma, gemma2, phi3/);
  assert.not.match(msg, /\n/);
  rmSync(dir, { recursive: true });
});
Errors('dims that contradict the tensors name config.json, the key and the tensor', async () => {
  const dir = copyCase('llama_gqa');
  editConfig(dir, (c) => void (c.hidden_size = 64));
  const msg = await openError(path.join(dir, 'model.safetensors'));
  assert.match(msg, /config\.json: "hidden_size" = 64 contradicts model\.embed_tokens\.weight \[61, 32\]/);
  editConfig(dir, (c) => {
    c.hidden_size = 32;
    c.num_key_value_heads = 4;
  });
  assert.match(await openError(path.join(dir, 'model.safetensors')), /model\.layers\.0\.self_attn\.k_proj\.weight has 16 output features \(dim 0\), expected 32 \(num_key_value_heads 4 × head_dim 8 = hidden_size \/ num_attention_heads, from .*config\.json\)/);
  editConfig(dir, (c) => {
    c.num_key_value_heads = 2;
    c.num_hidden_layers = 3;
  });
  assert.match(await openError(path.join(dir, 'model.safetensors')), /"num_hidden_layers" = 3, but .* has 2 layers/);
  rmSync(dir, { recursive: true });
});
Errors('a missing shard names the index and the shard', async () => {
  const dir = copyCase('llama_bf16_sharded');
  unlinkSync(path.join(dir, 'model-00002-of-00002.safetensors'));
  const msg = await openError(path.join(dir, 'model.safetensors.index.json'));
  assert.match(msg, /model-00002-of-00002\.safetensors/);
  assert.not.match(msg, /\n/);
  rmSync(dir, { recursive: true });
});
Errors('untied config without lm_head.weight; token ids ≥ vocab name the input', async () => {
  const dir = copyCase('qwen2_bias');
  editConfig(dir, (c) => void (c.tie_word_embeddings = false));
  assert.match(await openError(path.join(dir, 'model.safetensors')), /missing tensor 'lm_head\.weight' \("tie_word_embeddings" is false in .*config\.json\)/);
  rmSync(dir, { recursive: true });
  const be = await openTestBackend('reference', 'decoder errors');
  const { checkpoint, model } = await openModel(path.join(root, 'llama_gqa', 'model.safetensors'));
  const ids = { dtype: 'int64' as const, shape: [1, 2], data: BigInt64Array.from([3n, 61n]) };
  try {
    await forward(be!, model, checkpoint, ids, { inputName: 'ids.safetensors:inputs' });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /ids\.safetensors:inputs: token id 61 at \[0, 1\] is out of range: the vocabulary has 61 ids/);
  } finally {
    await checkpoint.close();
    await be!.dispose();
  }
});
Errors('a rope type ctlkit does not know names the key', async () => {
  const dir = copyCase('llama_yarn');
  editConfig(dir, (c) => void (c.rope_scaling = { rope_type: 'mrope', factor: 2 }));
  assert.match(await openError(path.join(dir, 'model.safetensors')), /config\.json: "rope_scaling\.rope_type" "mrope" is not supported \(known: default, linear, dynamic, llama3, yarn, longrope\)/);
  rmSync(dir, { recursive: true });
});
Errors.run();
