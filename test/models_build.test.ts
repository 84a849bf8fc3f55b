// Model structure from headers alone: detected architecture, hooks, input spec, stage params.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildModel, detectArchitecture } from '../src/models/index.js';
import { gpt2Spec, mlpSpec, resnetIntNames, resnetSpec, toHeader, vitSpec } from './harness/model_headers.js';

test('MLP: hooks are the ReLU outputs and the last Linear', () => {
  const model = buildModel(toHeader({ ...mlpSpec(), '4.weight': [2, 3], '4.bias': [2] }), {}, 'mlp.safetensors');
  assert.equal(model.config.architecture, 'mlp');
  assert.equal(model.hooks, ['1', '3', '4']);
  assert.equal(model.logitsHook, '4');
  assert.equal(model.input, { kind: 'float', shape: [-1, 4] });
});

test('ResNet: stem from the conv1 kernel, hooks conv1, blocks, fc', () => {
  const spec = resnetSpec();
  const model = buildModel(toHeader(spec, resnetIntNames(spec)), {}, 'r.safetensors');
  assert.equal(model.config.stem, 'cifar');
  assert.equal(model.hooks, ['conv1', 'layer1.0', 'layer2.0', 'fc']);
  assert.equal(model.stages.map((s) => s.name), ['conv1', 'relu', 'layer1.0', 'layer2.0', 'fc']);
  assert.equal(model.input, { kind: 'float', shape: [-1, 3, -1, -1] });
  assert.ok(model.stages[3].params.includes('layer2.0.downsample.1.running_var'));
  assert.not.ok(model.stages.some((s) => s.params.some((p) => p.endsWith('num_batches_tracked'))));
  const imagenet = buildModel(toHeader({ ...spec, 'conv1.weight': [8, 3, 7, 7] }), {}, 'r.safetensors');
  assert.equal(imagenet.config.stem, 'imagenet');
  assert.equal(imagenet.stages[1].name, 'maxpool');
  assert.equal(buildModel(toHeader(spec), { stem: 'imagenet' }, 'r').config.stem, 'imagenet');
});

test('ViT: hooks, image size from the position embedding and patch size', () => {
  const model = buildModel(toHeader(vitSpec()), { numHeads: 2 }, 'v.safetensors');
  assert.equal(model.hooks, ['conv_proj', 'encoder.layers.encoder_layer_0', 'encoder.layers.encoder_layer_1', 'encoder.ln', 'heads.head']);
  assert.equal(model.input, { kind: 'float', shape: [-1, 3, 8, 8] });
  assert.equal(model.config.layerNormEps, 1e-6);
});

test('GPT-2: hooks, tied lm_head, token input spec', () => {
  const model = buildModel(toHeader(gpt2Spec()), { numHeads: 2 }, 'g.safetensors');
  assert.equal(model.hooks, ['transformer.h.0', 'transformer.h.1', 'transformer.ln_f', 'lm_head']);
  assert.equal(model.stages[model.stages.length - 1].params, ['transformer.wte.weight']);
  assert.equal(model.input, { kind: 'tokens', shape: [-1, -1], vocab: 11, maxLength: 6 });
  const untied = buildModel(toHeader({ ...gpt2Spec(), 'lm_head.weight': [11, 8] }), { numHeads: 2 }, 'g');
  assert.equal(untied.stages[untied.stages.length - 1].params, ['lm_head.weight']);
});

test('detectArchitecture: from names, or from the config', () => {
  assert.is(detectArchitecture(toHeader(mlpSpec())), 'mlp');
  assert.is(detectArchitecture(toHeader(resnetSpec())), 'resnet');
  assert.is(detectArchitecture(toHeader(vitSpec())), 'vit');
  assert.is(detectArchitecture(toHeader(gpt2Spec())), 'gpt2');
  assert.is(detectArchitecture(toHeader(mlpSpec()), { architecture: 'resnet' }), 'resnet');
});

test.run();
