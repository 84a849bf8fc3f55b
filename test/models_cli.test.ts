// `ctlkit features` and `ctlkit inspect` end to end on a golden fixture.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { isFloat } from '../src/tensor.js';
import { fixture, repoRoot } from './harness/paths.js';

const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const caseName = readdirSync(fixture('models')).sort()[0];
const dir = fixture('models', caseName);
const hooks = JSON.parse(readFileSync(path.join(dir, 'hooks.json'), 'utf8')) as string[];
const tmp = mkdtempSync(path.join(tmpdir(), 'ctlkit-cli-'));

const ctlkit = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
const featureArgs = (out: string, ...more: string[]) => [
  'features', '--model', path.join(dir, 'model.safetensors'), '--inputs', path.join(dir, 'inputs.safetensors'), '--backend', 'reference', '--out', out, ...more,
];

test(`features writes every hook of ${caseName}, matching the PyTorch goldens`, async () => {
  const out = path.join(tmp, 'all.safetensors');
  const r = ctlkit(...featureArgs(out));
  assert.is(r.status, 0, r.stderr);
  const got = await openCheckpoint(out);
  const ref = await openCheckpoint(path.join(dir, 'outputs.safetensors'));
  try {
    assert.equal([...got.tensors.keys()].sort(), [...hooks].sort());
    for (const hook of hooks) {
      const a = await got.read(hook);
      const b = await ref.read(hook);
      assert.ok(isFloat(a) && isFloat(b));
      assert.equal(a.shape, b.shape);
      const scale = b.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i])), 0);
      assert.ok(diff <= 1e-5 * scale, `${hook}: max |Δ| ${diff} vs max |ref| ${scale}`);
    }
  } finally {
    await got.close();
    await ref.close();
  }
});

test('features --layers writes only those hooks', async () => {
  const out = path.join(tmp, 'some.safetensors');
  const r = ctlkit(...featureArgs(out, '--layers', hooks[hooks.length - 1]));
  assert.is(r.status, 0, r.stderr);
  const got = await openCheckpoint(out);
  assert.equal([...got.tensors.keys()], [hooks[hooks.length - 1]]);
  await got.close();
});

test('bad arguments exit 1 with one line naming them, and write nothing', () => {
  const out = path.join(tmp, 'bad.safetensors');
  for (const [args, fragment] of [
    [featureArgs(out, '--layers', 'no_such_hook'), "unknown hook 'no_such_hook'"],
    [featureArgs(out, '--input-key', 'pixels'), '"pixels"'],
    [['features', '--model', path.join(tmp, 'missing.safetensors'), '--inputs', 'x', '--out', out], 'missing.safetensors'],
  ] as const) {
    const r = ctlkit(...args);
    assert.is(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 1, r.stderr);
    assert.ok(lines[0].startsWith('ctlkit: ') && lines[0].includes(fragment), r.stderr);
  }
  assert.not.ok(existsSync(out));
});

test('inspect shows the architecture, hooks and input', () => {
  const r = ctlkit('inspect', path.join(dir, 'model.safetensors'));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /architecture: (mlp|resnet|vit|gpt2|clip)/);
  assert.ok(r.stdout.includes(`hooks: ${hooks.join(', ')}`), r.stdout);
  assert.match(r.stdout, /input: /);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
