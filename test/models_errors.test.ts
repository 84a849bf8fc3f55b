// Bad checkpoints, configs, inputs and captures: each error names the file, tensor or hook and
// what was expected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildModel } from '../src/models/index.js';
import { validateInput } from '../src/models/input.js';
import { resolveCapture } from '../src/models/forward.js';
import { openModel } from '../src/models/open.js';
import { forward } from '../src/models/forward.js';
import { createBackend } from '../src/backends/index.js';
import { writeSafetensors } from '../src/io/writer.js';
import { floatTensor } from '../src/tensor.js';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gpt2Spec, mlpSpec, resnetIntNames, resnetSpec, toHeader, vitSpec, zeroTensors, type HeaderSpec } from './harness/model_headers.js';

/** Runs `fn`, which must throw an error whose message contains every fragment. */
function throwsNaming(fn: () => unknown, ...fragments: string[]): void {
  try {
    fn();
  } catch (e) {
    const message = (e as Error).message;
    for (const f of fragments) assert.ok(message.includes(f), `expected '${f}' in: ${message}`);
    return;
  }
  assert.unreachable('expected an error');
}

test('missing tensor is named', () => {
  const spec = resnetSpec();
  delete spec['layer1.0.bn2.running_var'];
  throwsNaming(() => buildModel(toHeader(spec), {}, 'bad.safetensors'), 'bad.safetensors', "missing tensor 'layer1.0.bn2.running_var'");
  const vit = vitSpec();
  delete vit['encoder.layers.encoder_layer_1.mlp.3.weight'];
  throwsNaming(() => buildModel(toHeader(vit), { numHeads: 2 }, 'v.safetensors'), "'encoder.layers.encoder_layer_1.mlp.3.weight'");
});

test('ResNet conv with the wrong input channels names both layers', () => {
  const spec = { ...resnetSpec(), 'layer2.0.conv1.weight': [16, 9, 3, 3] };
  throwsNaming(() => buildModel(toHeader(spec), {}, 'r.safetensors'), 'r.safetensors: layer2.0.conv1.weight has 9 input channels, expected 8', "layer1.0's output");
});

test('other shape mismatches', () => {
  throwsNaming(() => buildModel(toHeader({ ...resnetSpec(), 'layer2.0.bn1.weight': [15] }), {}, 'r'), 'layer2.0.bn1.weight has 15 channels, expected 16');
  throwsNaming(() => buildModel(toHeader({ ...resnetSpec(), 'fc.weight': [10, 8] }), {}, 'r'), 'fc.weight has 8 input features', 'expected 16');
  const noDownsample = resnetSpec();
  delete noDownsample['layer2.0.downsample.0.weight'];
  throwsNaming(() => buildModel(toHeader(noDownsample), {}, 'r'), 'layer2.0 outputs 16 channels but its input has 8', 'layer2.0.downsample.0.weight');
  throwsNaming(() => buildModel(toHeader({ ...mlpSpec(), '2.weight': [3, 7] }), {}, 'm'), '2.weight has 7 input features', 'expected 8');
  throwsNaming(() => buildModel(toHeader({ ...gpt2Spec(), 'transformer.h.1.attn.c_attn.weight': [8, 16], 'transformer.h.1.attn.c_attn.bias': [16] }), { numHeads: 2 }, 'g'), 'transformer.h.1.attn.c_attn.weight has 16 output features', 'expected 24');
  throwsNaming(() => buildModel(toHeader({ ...vitSpec(), 'encoder.pos_embedding': [1, 6, 8] }), { numHeads: 2 }, 'v'), 'encoder.pos_embedding has 6 tokens');
  throwsNaming(() => buildModel(toHeader({ ...mlpSpec(), '6.weight': [2, 3] }), {}, 'm'), 'position 6 where 4 was expected');
});

test('unsupported ViT head variant is named', () => {
  throwsNaming(() => buildModel(toHeader({ ...vitSpec(), 'heads.pre_logits.weight': [8, 8] }), { numHeads: 2 }, 'v'), 'heads.pre_logits.weight is present', 'not supported');
});

test('non-float parameter and unclear stem', () => {
  throwsNaming(() => buildModel(toHeader(mlpSpec(), ['0.weight']), {}, 'm'), '0.weight has dtype I64, expected a float dtype');
  throwsNaming(() => buildModel(toHeader({ ...resnetSpec(), 'conv1.weight': [8, 3, 5, 5] }), {}, 'r'), 'conv1.weight has a 5×5 kernel', '"stem"');
});

test('unknown architecture lists what was looked for', () => {
  throwsNaming(() => buildModel(toHeader({ 'encoder.weight': [2, 2] }), {}, 'odd.safetensors'), 'odd.safetensors', 'conv_proj.weight', 'transformer.wte.weight', 'layer1.0.*', '0.weight', 'encoder.weight');
  throwsNaming(() => buildModel(toHeader(mlpSpec()), { architecture: 'lstm' as never }, 'm.safetensors'), "unknown architecture 'lstm'");
});

test('ViT and GPT-2 without num_heads', () => {
  throwsNaming(() => buildModel(toHeader(vitSpec()), {}, 'v.safetensors'), 'v.safetensors', 'num_heads', 'hidden size 8');
  throwsNaming(() => buildModel(toHeader(vitSpec()), { numHeads: 3 }, 'v'), 'num_heads 3 does not divide the hidden size 8');
  throwsNaming(() => buildModel(toHeader(gpt2Spec()), {}, 'g.safetensors'), 'g.safetensors', 'n_head');
});

test('wrong input rank, shape and dtype', () => {
  const mlp = buildModel(toHeader(mlpSpec()), {}, 'm');
  throwsNaming(() => validateInput(mlp, floatTensor([2, 4, 1]), 'in.safetensors:inputs'), 'in.safetensors:inputs', 'rank 3', 'expects rank 2 [*, 4]');
  throwsNaming(() => validateInput(mlp, floatTensor([2, 5]), 'in.npy'), 'in.npy', '[2, 5]', 'dim 1 must be 4');
  throwsNaming(() => validateInput(mlp, { dtype: 'int32', shape: [2, 4], data: new Int32Array(8) }, 'in.npy'), 'dtype int32', 'float');
  const vit = buildModel(toHeader(vitSpec()), { numHeads: 2 }, 'v');
  throwsNaming(() => validateInput(vit, floatTensor([1, 3, 9, 9]), 'x'), '[*, 3, 8, 8]');
  const gpt = buildModel(toHeader(gpt2Spec()), { numHeads: 2 }, 'g');
  throwsNaming(() => validateInput(gpt, floatTensor([1, 3]), 'tok.npy'), 'tok.npy', 'dtype float32', 'token ids');
  validateInput(gpt, { dtype: 'int64', shape: [1, 3], data: new BigInt64Array([0n, 5n, 10n]) }, 'ok');
});

test('token ids out of range and sequences too long', () => {
  const gpt = buildModel(toHeader(gpt2Spec()), { numHeads: 2 }, 'g');
  throwsNaming(
    () => validateInput(gpt, { dtype: 'int64', shape: [2, 2], data: new BigInt64Array([0n, 1n, 2n, 11n]) }, 'tok.safetensors:inputs'),
    'tok.safetensors:inputs',
    'token id 11 at [1, 1]',
    'vocabulary has 11 ids',
  );
  throwsNaming(() => validateInput(gpt, { dtype: 'int32', shape: [1, 1], data: new Int32Array([-1]) }, 't'), 'token id -1');
  throwsNaming(() => validateInput(gpt, { dtype: 'int32', shape: [1, 7], data: new Int32Array(7) }, 't'), '7 tokens', '6 positions');
});

test('unknown hook in capture lists the hooks', () => {
  const mlp = buildModel(toHeader(mlpSpec()), {}, 'm');
  throwsNaming(() => resolveCapture(mlp, ['1', 'fc']), "unknown hook 'fc'", 'hooks are 1, 2');
});


// ---- the same errors through files written with the io writer ----
let tmp = '';
test.before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ctlkit-models-'));
});
test.after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Writes `spec` as <tmp>/<name>/model.safetensors (plus config.json when given); returns its path. */
async function writeModel(name: string, spec: HeaderSpec, config?: object): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'model.safetensors');
  await writeSafetensors(file, zeroTensors(spec, resnetIntNames(spec)));
  if (config) await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  return file;
}

/** `fn` must reject with a message containing every fragment. */
async function rejectsNaming(fn: () => Promise<unknown>, ...fragments: string[]): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const message = (e as Error).message;
    for (const f of fragments) assert.ok(message.includes(f), `expected '${f}' in: ${message}`);
    return;
  }
  assert.unreachable('expected an error');
}

test('files: missing tensor, wrong channels, unknown architecture, no num_heads', async () => {
  const missing = resnetSpec();
  delete missing['fc.bias'];
  delete missing['fc.weight'];
  const f1 = await writeModel('missing', missing);
  await rejectsNaming(() => openModel(f1), f1, "missing tensor 'fc.weight'");
  const f2 = await writeModel('channels', { ...resnetSpec(), 'layer1.0.conv2.weight': [8, 6, 3, 3] });
  await rejectsNaming(() => openModel(f2), f2, 'layer1.0.conv2.weight has 6 input channels, expected 8 from layer1.0.conv1');
  const f3 = await writeModel('unknown', { 'encoder.weight': [2, 2] });
  await rejectsNaming(() => openModel(f3), f3, 'cannot detect the architecture', 'conv_proj.weight');
  const f4 = await writeModel('vit', vitSpec(), { architecture: 'vit' });
  await rejectsNaming(() => openModel(f4), f4, 'num_heads');
  const { checkpoint, model } = await openModel(f4, { config: { numHeads: 2 } });
  assert.is(model.config.numHeads, 2);
  await checkpoint.close();
});

test('forward: wrong input rank and dtype, token ids out of range, unknown hook', async () => {
  const be = await createBackend('reference');
  const mlp = await openModel(await writeModel('mlp', mlpSpec()));
  const gpt = await openModel(await writeModel('gpt2', gpt2Spec(), { n_head: 2 }));
  try {
    await rejectsNaming(() => forward(be, mlp.model, mlp.checkpoint, floatTensor([4]), { inputName: 'x.npy' }), 'x.npy', 'rank 1', 'rank 2');
    await rejectsNaming(
      () => forward(be, mlp.model, mlp.checkpoint, { dtype: 'int64', shape: [1, 4], data: new BigInt64Array(4) }, { inputName: 'x.npy' }),
      'x.npy: input has dtype int64',
    );
    const ids = { dtype: 'int64' as const, shape: [1, 3], data: new BigInt64Array([1n, 99n, 2n]) };
    await rejectsNaming(() => forward(be, gpt.model, gpt.checkpoint, ids, { inputName: 'tok.safetensors:inputs' }), 'tok.safetensors:inputs', 'token id 99 at [0, 1]');
    await rejectsNaming(() => forward(be, mlp.model, mlp.checkpoint, floatTensor([1, 4]), { capture: ['3'] }), "unknown hook '3'", 'hooks are 1, 2');
  } finally {
    await mlp.checkpoint.close();
    await gpt.checkpoint.close();
    await be.dispose();
  }
});

test.run();
