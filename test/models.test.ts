// Golden suite: every case under test/fixtures/models/ (PyTorch outputs at every hook, written by
// tools/gen_fixtures.py) runs on the reference backend, and on native / webgpu when they can be
// created. Each hook must match: same shape, max |Δ| ≤ 1e-5 × max |ref|.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../src/backends/index.js';
import type { Backend } from '../src/backends/backend.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { readInputs } from '../src/io/inputs.js';
import { forward } from '../src/models/forward.js';
import { openModel } from '../src/models/open.js';
import { buildModel } from '../src/models/index.js';
import { isFloat, shapeStr } from '../src/tensor.js';
import { executeStages } from '../src/models/executor.js';
import { uploadStageParams } from '../src/models/stage_params.js';
import { fixture } from './harness/paths.js';
import { trackBackend } from './harness/tracking_backend.js';
import { openTestBackend } from './harness/backends.js';

const casesDir = fixture('models');
const cases = existsSync(casesDir)
  ? readdirSync(casesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  : [];

async function checkCase(be: Backend, name: string): Promise<void> {
  const dir = path.join(casesDir, name);
  const { checkpoint, model } = await openModel(path.join(dir, 'model.safetensors'));
  const golden = await openCheckpoint(path.join(dir, 'outputs.safetensors'));
  try {
    const hooks = JSON.parse(readFileSync(path.join(dir, 'hooks.json'), 'utf8')) as string[];
    assert.equal([...model.hooks], hooks, `${name}: hooks`);
    const { inputs } = await readInputs(path.join(dir, 'inputs.safetensors'));
    const tracked = trackBackend(be);
    const features = await forward(tracked.be, model, checkpoint, inputs);
    assert.is(tracked.live(), 0, `${name} on ${be.name}: tensors left on the backend after forward`);
    for (const hook of hooks) {
      const ref = await golden.read(hook);
      const got = features.get(hook);
      assert.ok(got && isFloat(ref), `${name}: ${hook} missing`);
      assert.equal(got.shape, ref.shape, `${name}: ${hook} shape ${shapeStr(got.shape)} vs ${shapeStr(ref.shape)}`);
      let maxRef = 0;
      let maxDiff = 0;
      for (let i = 0; i < ref.data.length; i++) {
        maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
        const d = Math.abs(got.data[i] - ref.data[i]);
        maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
      }
      assert.ok(maxDiff <= 1e-5 * maxRef, `${name} on ${be.name}: ${hook} max |Δ| ${maxDiff.toExponential(3)} > 1e-5 × max |ref| ${maxRef.toExponential(3)}`);
    }
  } finally {
    await golden.close();
    await checkpoint.close();
  }
}

const Fixtures = suite('model fixtures');
Fixtures('golden cases cover every family', async () => {
  const families = new Set<string>();
  for (const c of cases) {
    const { checkpoint, model } = await openModel(path.join(casesDir, c, 'model.safetensors'));
    families.add(model.config.architecture);
    await checkpoint.close();
  }
  assert.equal([...families].sort(), ['clip', 'gpt2', 'mlp', 'resnet', 'vit'], `families under ${casesDir}`);
});
Fixtures.run();

for (const name of ['reference', 'native', 'webgpu'] as const) {
  const be = await openTestBackend(name, 'models');
  if (!be) continue;
  const s = suite(`models on ${name}`);
  for (const c of cases) s(c, () => checkCase(be, c));
  s.after(() => be.dispose());
  s.run();
}

// forward's options, on the reference backend with the first golden case.
const Options = suite('forward options');
const first = cases[0];
async function openFirst() {
  const dir = path.join(casesDir, first);
  const { checkpoint, model } = await openModel(path.join(dir, 'model.safetensors'));
  const { inputs } = await readInputs(path.join(dir, 'inputs.safetensors'));
  return { checkpoint, model, inputs, be: await createBackend('reference') };
}

Options('capture a subset; onFeature streams hooks in order; host weights; resume after a hook', async () => {
  const { checkpoint, model, inputs, be } = await openFirst();
  try {
    const all = await forward(be, model, checkpoint, inputs);
    const some = [model.hooks[model.hooks.length - 1], model.hooks[0]];
    const sub = await forward(be, model, checkpoint, inputs, { capture: some });
    assert.equal([...sub.keys()].sort(), [...some].sort());
    for (const h of some) assert.equal(sub.get(h)!.data, all.get(h)!.data);
    const seen: string[] = [];
    const streamed = await forward(be, model, checkpoint, inputs, {
      onFeature: async (hook, t) => {
        seen.push(hook);
        assert.equal(await be.read(t), all.get(hook)!.data);
      },
    });
    assert.equal(seen, [...model.hooks]);
    assert.is(streamed.size, 0);
    const host = await forward(be, model, (name) => checkpoint.read(name), inputs, { capture: [model.logitsHook] });
    assert.equal(host.get(model.logitsHook)!.data, all.get(model.logitsHook)!.data);
    // the stage executor started after a hook, on that hook's features, continues to the same logits
    const from = model.stages.findIndex((s) => s.name === model.hooks[0]) + 1;
    const to = model.stages.findIndex((s) => s.name === model.logitsHook);
    const injected = all.get(model.hooks[0])!;
    let resumed: Float32Array | Int32Array | undefined;
    await executeStages(be, model.stages, injected, {
      run: async (stage, _i, [x]) => {
        const p = await uploadStageParams(be, stage, (name) => checkpoint.read(name), checkpoint.path);
        try {
          return [await stage.run(be, x, p.lookup)];
        } finally {
          p.release();
        }
      },
      after: async (stage, _i, [y]) => {
        if (stage.name === model.logitsHook) resumed = await be.read(y);
      },
    }, { batch: injected.shape[0], from, to });
    assert.equal(resumed, all.get(model.logitsHook)!.data);
  } finally {
    await checkpoint.close();
    await be.dispose();
  }
});

Options('an aborted signal stops the pass; unknown hooks are named', async () => {
  const { checkpoint, model, inputs, be } = await openFirst();
  try {
    const tracked = trackBackend(be);
    const ctrl = new AbortController();
    ctrl.abort(new Error('stop requested'));
    try {
      await forward(tracked.be, model, checkpoint, inputs, { signal: ctrl.signal });
      assert.unreachable('aborted forward resolved');
    } catch (e) {
      assert.match((e as Error).message, 'stop requested');
    }
    assert.is(tracked.live(), 0);
    try {
      await forward(be, model, checkpoint, inputs, { capture: ['no.such.layer'] });
      assert.unreachable('unknown hook accepted');
    } catch (e) {
      assert.match((e as Error).message, `unknown hook 'no.such.layer': this ${model.config.architecture} model's hooks are ${model.hooks.join(', ')}`);
    }
  } finally {
    await checkpoint.close();
    await be.dispose();
  }
});
Options.run();

// A second naming table for one family: GPT2Model saved on its own (no `transformer.` prefix).
const Naming = suite('naming tables');
Naming('GPT2Model naming (no transformer. prefix) reproduces the gpt2 goldens', async () => {
  const dir = path.join(casesDir, 'gpt2');
  const { checkpoint, model } = await openModel(path.join(dir, 'model.safetensors'));
  const golden = await openCheckpoint(path.join(dir, 'outputs.safetensors'));
  const be = await createBackend('reference');
  try {
    const bare = new Map([...checkpoint.tensors].map(([name, info]) => [name.replace(/^transformer\./, ''), { ...info, name: name.replace(/^transformer\./, '') }]));
    const renamed = buildModel(bare, { numHeads: model.config.numHeads }, 'bare gpt2');
    assert.equal(renamed.hooks, ['h.0', 'h.1', 'ln_f', 'lm_head']);
    const { inputs } = await readInputs(path.join(dir, 'inputs.safetensors'));
    const out = await forward(be, renamed, (name) => checkpoint.read(checkpoint.tensors.has(name) ? name : `transformer.${name}`), inputs, { capture: ['ln_f', 'lm_head'] });
    for (const [hook, ref] of [['ln_f', 'transformer.ln_f'], ['lm_head', 'lm_head']]) {
      const want = await golden.read(ref);
      assert.ok(isFloat(want));
      const got = out.get(hook)!;
      const scale = want.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(got.data.every((v, i) => Math.abs(v - want.data[i]) <= 1e-5 * scale), hook);
    }
  } finally {
    await golden.close();
    await checkpoint.close();
    await be.dispose();
  }
});
Naming.run();
