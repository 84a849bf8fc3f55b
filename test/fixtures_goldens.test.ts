// The committed PyTorch goldens (tools/gen_fixtures.py) are readable by ctlkit's strict reader and
// consistent with each other: hooks, shapes, dtypes, basis files, coefficient matrices, and the
// merge golden's float64-sum-then-round rule recomputed here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { numberToBf16Bits, numberToF16Bits, bf16ToFloat32, f16ToFloat32 } from '../src/io/half.js';
import type { Checkpoint } from '../src/io/types.js';
import type { SweepResults } from '../src/sweep/types.js';
import { fixture } from './harness/paths.js';

const readJson = <T>(...parts: string[]): T => JSON.parse(fs.readFileSync(fixture(...parts), 'utf8')) as T;

async function withCheckpoint<T>(file: string, fn: (c: Checkpoint) => Promise<T>): Promise<T> {
  const c = await openCheckpoint(file);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

interface CaseJson {
  family: string;
  weights_dtype: string;
  tensors: number;
  inputs: Record<string, { dtype: string; shape: number[] }>;
  outputs: Record<string, { dtype: string; shape: number[] }>;
}

const models = suite('model goldens');
const caseNames = fs.readdirSync(fixture('models')).sort();

models('every family and both ResNet stems are present', () => {
  for (const name of ['mlp', 'mlp_bf16', 'mlp_f16', 'resnet_basic_cifar', 'resnet_bottleneck_imagenet', 'vit', 'gpt2', 'gpt2_untied']) {
    assert.ok(caseNames.includes(name), name);
  }
});

for (const name of caseNames) {
  models(`${name}: files pass strict validation and agree with hooks.json and case.json`, async () => {
    const hooks = readJson<string[]>('models', name, 'hooks.json');
    const info = readJson<CaseJson>('models', name, 'case.json');
    assert.equal(Object.keys(info.outputs), hooks);
    await withCheckpoint(fixture('models', name, 'outputs.safetensors'), async (c) => {
      assert.equal([...c.tensors.keys()].sort(), [...hooks].sort());
      for (const h of hooks) {
        assert.equal(c.tensors.get(h)!.shape, info.outputs[h].shape, h);
        assert.is(c.tensors.get(h)!.dtype, 'F32', h);
      }
    });
    await withCheckpoint(fixture('models', name, 'inputs.safetensors'), async (c) => {
      for (const [k, v] of Object.entries(info.inputs)) assert.equal({ dtype: c.tensors.get(k)!.dtype, shape: c.tensors.get(k)!.shape }, v, k);
    });
    await withCheckpoint(fixture('models', name, 'model.safetensors'), async (c) => {
      assert.is(c.tensors.size, info.tensors);
      const floats = [...c.tensors.values()].filter((t) => !t.dtype.startsWith('I'));
      assert.ok(floats.every((t) => t.dtype === info.weights_dtype));
      if (info.family === 'gpt2') assert.is(c.tensors.has('lm_head.weight'), name === 'gpt2_untied');
      if (info.family === 'resnet') assert.equal(c.tensors.get('bn1.num_batches_tracked')!.shape, []);
    });
  });
}

models('mlp_bf16 and mlp_f16 hold the F32 mlp weights rounded to nearest even', async () => {
  const f32 = await openCheckpoint(fixture('models', 'mlp', 'model.safetensors'));
  for (const [folder, toBits, fromBits] of [
    ['mlp_bf16', numberToBf16Bits, bf16ToFloat32],
    ['mlp_f16', numberToF16Bits, f16ToFloat32],
  ] as const) {
    await withCheckpoint(fixture('models', folder, 'model.safetensors'), async (half) => {
      for (const name of f32.tensors.keys()) {
        const exact = (await f32.read(name)).data as Float32Array;
        const rounded = fromBits(Uint16Array.from(exact, (x) => toBits(x)));
        assert.equal(Array.from((await half.read(name)).data as Float32Array), Array.from(rounded), `${folder} ${name}`);
      }
    });
  }
  await f32.close();
});

const sweeps = suite('sweep goldens');
const families = ['mlp', 'resnet', 'vit', 'gpt2', 'llama', 'clip'];
const modes = { interpolate: 'interpolate', average: 'average', task_arithmetic: 'task-arithmetic', negate: 'negate' } as const;

for (const family of families) {
  sweeps(`${family}: basis checkpoints match, golden matrices and rows are consistent`, async () => {
    const basis = ['pre', 'ft_a', 'ft_b', 'ft_c'];
    const headers = await Promise.all(basis.map((b) => withCheckpoint(fixture('sweeps', family, `${b}.safetensors`), async (c) => [...c.tensors.values()])));
    for (const h of headers.slice(1)) assert.equal(h, headers[0]);
    for (const [file, mode] of Object.entries(modes)) {
      const g = readJson<SweepResults & { coefficients: number[][]; alphas?: number[] }>('sweeps', family, `${file}.json`);
      assert.is(g.mode, mode);
      assert.is(g.samples, 8);
      for (const m of g.models) assert.ok(fs.existsSync(fixture('sweeps', family, m)), m);
      assert.is(g.rows.length, g.coefficients.length);
      g.rows.forEach((row, k) => {
        assert.equal(row.coefficients, g.coefficients[k]);
        assert.is(row.coefficients.length, g.models.length);
        assert.equal(Object.keys(row.layers), g.layers);
        // a row equal to one basis model compares that model's features with themselves
        if (row.coefficients.filter((c) => c !== 0).length === 1) {
          for (const h of g.layers) assert.is(row.layers[h].dist_alpha_int, 0, `${file} row ${k} ${h}`);
        }
      });
      if (mode === 'interpolate') g.rows.forEach((row, k) => assert.equal(row.coefficients, [g.alphas![k], 1 - g.alphas![k]]));
    }
  });
}

sweeps('mlp: the all-zero sample makes hook 1 exactly zero (zero-norm rule inside the per-sample stats)', async () => {
  const x = await withCheckpoint(fixture('sweeps', 'mlp', 'inputs.safetensors'), (c) => c.read('inputs'));
  const row3 = Array.from((x.data as Float32Array).subarray(3 * 13, 4 * 13));
  assert.ok(row3.every((v) => v === 0));
  const bias = await withCheckpoint(fixture('sweeps', 'mlp', 'pre.safetensors'), (c) => c.read('0.bias'));
  assert.ok(Array.from(bias.data as Float32Array).every((v) => v < -0.1));
});

sweeps('resnet merge golden: float64 sum rounded once; num_batches_tracked from the first basis model', async () => {
  const [a, b, merged] = await Promise.all(['ft_a', 'ft_b', 'merged_interpolate_alpha0.25'].map((n) => openCheckpoint(fixture('sweeps', 'resnet', `${n}.safetensors`))));
  let differsFromF32 = 0;
  for (const name of merged.tensors.keys()) {
    const [ta, tb, tm] = await Promise.all([a.read(name), b.read(name), merged.read(name)]);
    if (tm.dtype !== 'float32') {
      assert.equal(tm.data, ta.data, name);
      continue;
    }
    const da = ta.data as Float32Array;
    const db = tb.data as Float32Array;
    const expected = Float32Array.from(da, (v, i) => 0.25 * v + 0.75 * db[i]);
    assert.equal(Array.from(tm.data), Array.from(expected), name);
    da.forEach((v, i) => {
      if (Math.fround(Math.fround(0.25 * v) + Math.fround(0.75 * db[i])) !== expected[i]) differsFromF32++;
    });
  }
  assert.ok(differsFromF32 > 0, 'the golden distinguishes float64 from float32 accumulation');
  const counts = await Promise.all(['pre', 'ft_a', 'ft_b', 'ft_c'].map((n) => withCheckpoint(fixture('sweeps', 'resnet', `${n}.safetensors`), (c) => c.read('bn1.num_batches_tracked'))));
  assert.equal(counts.map((t) => (t.data as BigInt64Array)[0]), [1000n, 1100n, 1200n, 1300n]);
  await Promise.all([a, b, merged].map((c) => c.close()));
});

const metrics = suite('zero-norm metric cases');

metrics('cover both-zero, one-sided zeros, all-zero, anti-aligned and N = 1', () => {
  const { cases } = readJson<{ cases: { name: string; expected: Record<string, number | null> }[] }>('metrics', 'zero_norm.json');
  const byName = Object.fromEntries(cases.map((c) => [c.name, c.expected]));
  assert.is(byName.all_zero.dist_alpha_int, 0);
  assert.is(byName.F_all_zero.dist_alpha_int, 1);
  assert.is(byName.G_all_zero.coef_alpha_int, 0);
  assert.is(byName.anti_aligned.cos_alpha_int_over_samples_mean, -1);
  assert.is(byName.single_sample.dist_alpha_int_over_samples_std, null);
});

models.run();
sweeps.run();
metrics.run();
