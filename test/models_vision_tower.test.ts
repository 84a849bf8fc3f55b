// CLIP / ViT conventions (issue 12) beyond the goldens: detection of every convention, the hook
// names `ctlkit inspect` lists, config.json switches, and bad checkpoints/configs as one-line errors
// naming the file, the tensor or key, and what was expected.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TensorInfo } from '../src/io/types.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { parseModelConfig } from '../src/models/config.js';
import { buildModel } from '../src/models/index.js';
import type { ModelConfig } from '../src/models/family.js';
import { fixture, repoRoot } from './harness/paths.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { writeSafetensors } from '../src/io/writer.js';
import { openModel } from '../src/models/open.js';
import { forward } from '../src/models/forward.js';
import { readInputs } from '../src/io/inputs.js';
import { createBackend } from '../src/backends/index.js';
import { floatTensor } from '../src/tensor.js';

async function header(name: string): Promise<Map<string, TensorInfo>> {
  const c = await openCheckpoint(fixture('models', name, 'model.safetensors'));
  const t = new Map(c.tensors);
  await c.close();
  return t;
}

function throwsNaming(fn: () => unknown, ...fragments: string[]): void {
  try {
    fn();
  } catch (e) {
    const message = (e as Error).message;
    assert.not.ok(message.includes('\n'), `one line: ${message}`);
    for (const f of fragments) assert.ok(message.includes(f), `expected '${f}' in: ${message}`);
    return;
  }
  assert.unreachable('expected an error');
}

test('each convention is detected from its names, with the checkpoint\'s own module paths as hooks', async () => {
  const want: Record<string, [string, string[]]> = {
    clip_task_vectors: ['clip', ['model.visual.conv1', 'model.visual.ln_pre', 'model.visual.transformer.resblocks.0', 'model.visual.transformer.resblocks.1', 'model.visual.ln_post', 'model.visual']],
    hf_clip_model: ['clip', ['vision_model.embeddings.patch_embedding', 'vision_model.embeddings', 'vision_model.pre_layrnorm', 'vision_model.encoder.layers.0', 'vision_model.encoder.layers.1', 'vision_model.post_layernorm', 'visual_projection']],
    hf_vit_classifier: ['vit', ['vit.embeddings.patch_embeddings.projection', 'vit.embeddings', 'vit.encoder.layer.0', 'vit.encoder.layer.1', 'vit.layernorm', 'classifier']],
    timm_vit: ['vit', ['patch_embed.proj', 'pos_drop', 'blocks.0', 'blocks.1', 'norm', 'head']],
  };
  for (const [name, [arch, hooks]] of Object.entries(want)) {
    const m = buildModel(await header(name), name === 'timm_vit' || name === 'hf_vit_classifier' ? { numHeads: 2 } : {}, name);
    assert.is(m.config.architecture, arch, name);
    assert.equal([...m.hooks], hooks, name);
    assert.is(m.logitsHook, hooks[hooks.length - 1], name);
  }
});

test('open_clip needs no config: heads = width / 64, QuickGELU, eps 1e-5; hidden_act switches', async () => {
  const h = await header('clip_task_vectors');
  const m = buildModel(h, {}, 'f');
  assert.equal([m.config.numHeads, m.config.hiddenAct, m.config.layerNormEps], [2, 'quick_gelu', 1e-5]);
  assert.equal(m.input.shape, [-1, 3, 32, 32]);
  assert.is(buildModel(h, parseModelConfig('c.json', { hidden_act: 'gelu' }), 'f').config.hiddenAct, 'gelu');
  const vit = buildModel(await header('hf_vit_model'), { numHeads: 3 }, 'f');
  assert.equal([vit.config.hiddenAct, vit.config.layerNormEps], ['gelu', 1e-12]);
  assert.is(buildModel(await header('timm_vit_headless'), { numHeads: 3 }, 'f').config.layerNormEps, 1e-6);
});

test('a CLIPModel config.json: vision_config is read for the tower', () => {
  const cfg = parseModelConfig('config.json', {
    model_type: 'clip', projection_dim: 32, text_config: { num_attention_heads: 8, hidden_act: 'gelu' },
    vision_config: { num_attention_heads: 2, hidden_act: 'quick_gelu', hidden_size: 128, layer_norm_eps: 1e-5 },
  });
  assert.equal(cfg, { hiddenAct: 'quick_gelu', dims: { hidden_size: 128, projection_dim: 32 }, numHeads: 2, layerNormEps: 1e-5 } as Partial<ModelConfig>);
  assert.is(parseModelConfig('config.json', { architecture: 'vit_base_patch16_224' }).architecture, 'vit');
  throwsNaming(() => parseModelConfig('config.json', { hidden_act: 'swish' }), 'config.json', '"hidden_act"', 'quick_gelu');
});

test('config dims contradicting the tensors name the key, the tensor and both numbers', async () => {
  const h = await header('hf_clip_vision_projection');
  throwsNaming(() => buildModel(h, { dims: { hidden_size: 768 } }, 'm.safetensors'), 'm.safetensors', '"hidden_size" = 768', 'vision_model.embeddings.patch_embedding.weight', '64');
  throwsNaming(() => buildModel(h, { dims: { num_hidden_layers: 12 } }, 'm.safetensors'), '"num_hidden_layers" = 12', 'the tensors say 2');
  throwsNaming(() => buildModel(h, { dims: { intermediate_size: 3072 } }, 'm.safetensors'), '"intermediate_size" = 3072', 'mlp.fc1.weight', '100');
  throwsNaming(() => buildModel(h, { dims: { image_size: 224 } }, 'm.safetensors'), '"image_size" = 224', 'the tensors say 16');
  throwsNaming(() => buildModel(h, { dims: { projection_dim: 512 } }, 'm.safetensors'), '"projection_dim" = 512', 'visual_projection.weight', '24');
  throwsNaming(() => buildModel(h, { numHeads: 5 }, 'm.safetensors'), 'num_heads 5 does not divide the hidden size 64');
});

test('unknown tensors are an error (strict, as load_state_dict); known leftovers are not', async () => {
  const h = await header('clip_task_vectors');
  assert.ok(h.has('model.token_embedding.weight') && h.has('model.ln_final.weight') && h.has('model.logit_scale'));
  h.set('model.visual.extra.weight', { name: 'model.visual.extra.weight', dtype: 'F32', shape: [3] });
  throwsNaming(() => buildModel(h, {}, 'tv.safetensors'), 'tv.safetensors', "unexpected tensor 'model.visual.extra.weight'", 'open_clip', 'strict');
  const hf = await header('hf_clip_model');
  assert.ok(hf.has('vision_model.embeddings.position_ids') && hf.has('text_model.final_layer_norm.weight'));
  hf.set('vision_model.encoder.layers.7.layer_norm1.weight', { name: 'x', dtype: 'F32', shape: [128] });
  throwsNaming(() => buildModel(hf, {}, 'hf'), 'hf', 'blocks', 'gap');
});

test('shape errors name the tensor and what was expected', async () => {
  const h = await header('clip_task_vectors');
  h.set('model.visual.class_embedding', { name: 'model.visual.class_embedding', dtype: 'F32', shape: [64] });
  throwsNaming(() => buildModel(h, {}, 'tv'), 'model.visual.class_embedding', '[128] or [1, 1, 128]');
  const p = await header('clip_task_vectors');
  p.set('model.visual.proj', { name: 'model.visual.proj', dtype: 'F32', shape: [96, 24] });
  throwsNaming(() => buildModel(p, {}, 'tv'), 'model.visual.proj', 'expected [128, 24]');
  const q = await header('hf_vit_classifier');
  q.set('vit.encoder.layer.1.attention.attention.key.weight', { name: 'k', dtype: 'F32', shape: [64, 32] });
  throwsNaming(() => buildModel(q, { numHeads: 2 }, 'vit'), 'vit.encoder.layer.1.attention.attention.key.weight', 'input features', 'expected 64');
  const t = await header('timm_vit');
  throwsNaming(() => buildModel(t, {}, 'timm.safetensors'), 'timm.safetensors', 'number of attention heads', '"num_heads"');
  t.set('blocks.0.ls1.gamma', { name: 'blocks.0.ls1.gamma', dtype: 'F32', shape: [128] });
  throwsNaming(() => buildModel(t, { numHeads: 2 }, 'timm'), 'blocks.0.ls1.gamma is present', 'not supported');
});

test('ctlkit inspect lists a task_vectors checkpoint\'s hooks', () => {
  const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const r = spawnSync(process.execPath, [main, 'inspect', fixture('models', 'clip_task_vectors', 'model.safetensors')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /architecture: clip/);
  assert.ok(r.stdout.includes('hooks: model.visual.conv1, model.visual.ln_pre, model.visual.transformer.resblocks.0, model.visual.transformer.resblocks.1, model.visual.ln_post, model.visual'), r.stdout);
});

async function rejects(p: Promise<unknown>, ...fragments: string[]): Promise<void> {
  try {
    await p;
  } catch (e) {
    const message = (e as Error).message;
    assert.not.ok(message.includes('\n'), `one line: ${message}`);
    for (const f of fragments) assert.ok(message.includes(f), `expected '${f}' in: ${message}`);
    return;
  }
  assert.unreachable('expected an error');
}

test('--head: logits = W · x/‖x‖ + b on encode_image; bad heads are one-line errors', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ctlkit-head-'));
  try {
    const ckpt = fixture('models', 'clip_task_vectors', 'model.safetensors');
    const w = new Float32Array(5 * 24).map((_, i) => Math.sin(i));
    const b = new Float32Array(5).map((_, i) => 0.1 * i);
    const good = path.join(dir, 'head.safetensors');
    await writeSafetensors(good, { weight: floatTensor([5, 24], w), bias: floatTensor([5], b) });
    const { checkpoint, model } = await openModel(ckpt, { head: good });
    try {
      assert.is(model.hooks[model.hooks.length - 1], 'logits');
      assert.is(model.logitsHook, 'logits');
      const be = await createBackend('reference');
      const { inputs } = await readInputs(fixture('models', 'clip_task_vectors', 'inputs.safetensors'));
      const f = await forward(be, model, checkpoint, inputs, { capture: ['model.visual', 'logits'] });
      const e = f.get('model.visual')!.data;
      const got = f.get('logits')!.data;
      for (let n = 0; n < 3; n++) {
        const row = e.subarray(n * 24, n * 24 + 24);
        const norm = Math.sqrt(row.reduce((a, v) => a + v * v, 0));
        for (let c = 0; c < 5; c++) {
          let want = b[c];
          for (let k = 0; k < 24; k++) want += (w[c * 24 + k] * row[k]) / norm;
          assert.ok(Math.abs(got[n * 5 + c] - want) < 1e-5, `logits[${n},${c}] ${got[n * 5 + c]} vs ${want}`);
        }
      }
      await be.dispose();
    } finally {
      await checkpoint.close();
    }
    // the CLI flag: features --head writes the logits hook, inspect --head lists it
    const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
    const out = path.join(dir, 'feats.safetensors');
    const r = spawnSync(process.execPath, [main, 'features', '--model', ckpt, '--inputs', fixture('models', 'clip_task_vectors', 'inputs.safetensors'),
      '--head', good, '--layers', 'model.visual,logits', '--backend', 'reference', '--out', out], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const feats = await openCheckpoint(out);
    assert.equal(feats.tensors.get('logits')!.shape, [3, 5]);
    await feats.close();
    const ins = spawnSync(process.execPath, [main, 'inspect', ckpt, '--head', good], { encoding: 'utf8' });
    assert.is(ins.status, 0, ins.stderr);
    assert.ok(ins.stdout.includes('model.visual.ln_post, model.visual, logits'), ins.stdout);
    const wide = path.join(dir, 'wide.safetensors');
    await writeSafetensors(wide, { weight: floatTensor([5, 32], new Float32Array(5 * 32)) });
    await rejects(openModel(ckpt, { head: wide }), 'wide.safetensors (weight)', 'has shape [5, 32]', 'expected [classes, 24]', 'model.visual');
    const extra = path.join(dir, 'extra.safetensors');
    await writeSafetensors(extra, { weight: floatTensor([5, 2], new Float32Array(10)), scale: floatTensor([1], new Float32Array(1)) });
    await rejects(openModel(ckpt, { head: extra }), 'extra.safetensors', "unexpected tensor 'scale'");
    const badBias = path.join(dir, 'bias.safetensors');
    await writeSafetensors(badBias, { weight: floatTensor([5, 2], new Float32Array(10)), bias: floatTensor([4], new Float32Array(4)) });
    await rejects(openModel(ckpt, { head: badBias }), 'bias.safetensors', 'bias has shape [4], expected [5]');
    const vitHead = path.join(dir, 'vit.safetensors');
    await writeSafetensors(vitHead, { weight: floatTensor([5, 64], new Float32Array(5 * 64)) });
    await rejects(openModel(fixture('models', 'hf_vit_classifier', 'model.safetensors'), { head: vitHead }), 'vit.safetensors (weight)', 'without a classifier', 'classifier.weight');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
