// torch.save checkpoints through the commands: `ctlkit convert` (bit-exact output, metadata, default
// name, --key, --dtype, atomic), and sweep / merge / inspect run straight on .pt files giving the
// same results as on the converted safetensors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../src/io/checkpoint.js';
import type { Tensor } from '../src/tensor.js';
import { writeSafetensors } from '../src/io/writer.js';
import { defaultOutPath } from '../src/cli/convert.js';
import { fixture, repoRoot } from './harness/paths.js';
import { tempDir, tempLeftovers } from './harness/crafted.js';

const pk = (...p: string[]): string => fixture('pickle', ...p);
const bin = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const ctlkit = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const bitsOf = (t: Tensor): number[] => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));

/** Each file's tensors: dtype, shape and the bytes of the decoded values. */
async function contents(file: string): Promise<Record<string, unknown>> {
  const c = await openCheckpoint(file);
  const out: Record<string, unknown> = {};
  for (const [n, info] of c.tensors) out[n] = { dtype: info.dtype, shape: info.shape, bits: bitsOf(await c.read(n)) };
  await c.close();
  return out;
}

test('convert module_legacy.pt: the pickled module tree as found, source and format in metadata', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'enc.safetensors');
  const r = ctlkit('convert', pk('module_legacy.pt'), '--out', out);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /enc\.safetensors: 34 tensors \(torch-legacy\)/);
  assert.equal(await contents(out), await contents(pk('module.expected.safetensors')));
  const c = await openCheckpoint(out);
  assert.equal(c.metadata, { format: 'pt', source_format: 'torch-legacy', source: 'module_legacy.pt' });
  await c.close();
  assert.equal(tempLeftovers(dir), []);
});

test('convert --key ema --dtype bf16 and the default output name', async () => {
  const dir = tempDir();
  const input = path.join(dir, 'two_sets.pt');
  fs.copyFileSync(pk('two_sets.pt'), input);
  const r = ctlkit('convert', input, '--key', 'ema', '--dtype', 'bf16');
  assert.is(r.code, 0, r.err);
  const out = path.join(dir, 'two_sets.safetensors');
  const c = await openCheckpoint(out);
  assert.is(c.metadata.source_key, 'ema');
  const want = await openCheckpoint(pk('two_sets.expected.safetensors'));
  for (const [n, info] of want.tensors) {
    assert.is(c.tensors.get(n)?.dtype, 'BF16', n);
    const [a, b] = [(await c.read(n)).data as Float32Array, (await want.read(n)).data as Float32Array];
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= Math.abs(b[i]) * 2 ** -8, `${n}[${i}] ${v} vs ${b[i]}`));
    assert.equal(c.tensors.get(n)?.shape, info.shape);
  }
  await Promise.all([c.close(), want.close()]);
  assert.is(defaultOutPath('/m/pytorch_model.bin.index.json'), '/m/pytorch_model.safetensors');
  assert.is(defaultOutPath('finetuned.pt'), 'finetuned.safetensors');
  const bad = ctlkit('convert', input, '--out', input);
  assert.is(bad.code, 1);
  assert.match(bad.err, /would overwrite the input/);
});

test('convert --shard-size: a folder of shards and an index that opens as the original', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'enc');
  const r = ctlkit('convert', pk('module.pt'), '--shard-size', '1KB', '--out', out);
  assert.is(r.code, 0, r.err);
  const files = fs.readdirSync(out).sort();
  assert.ok(files.length > 3 && files.includes('model.safetensors.index.json'), files.join(', '));
  assert.match(r.out, new RegExp(`34 tensors in ${files.length - 1} shards`));
  for (const f of files.filter((n) => n.endsWith('.safetensors'))) assert.ok(fs.statSync(path.join(out, f)).size < 1000 + 2048, f);
  assert.equal(await contents(out), await contents(pk('module.expected.safetensors')));
  assert.is(ctlkit('convert', pk('module.pt'), '--shard-size', 'big').err.trim(), "ctlkit: --shard-size: expected a size such as 2GB or 500MB, got 'big'");
});

test('sweep and merge straight on .pt files equal the same on safetensors', async () => {
  const dir = tempDir();
  const inputs = path.join(dir, 'inputs.safetensors');
  const x = new Float32Array(8 * 3).map((_, i) => Math.sin(i * 0.7));
  await writeSafetensors(inputs, { inputs: { dtype: 'float32', shape: [8, 3], data: x } });
  // Two different MLPs: mlp_module.pt (the whole nn.Sequential pickled) and ema_legacy.pt (a legacy
  // state dict), and the same weights as safetensors (what state_dict() held, written by the generator).
  const pt = [pk('mlp_module.pt'), pk('ema_legacy.pt')];
  const st = [pk('training.expected.safetensors'), pk('two_sets.expected.safetensors')];
  const sweep = (models: string[], out: string): Record<string, unknown> => {
    const r = ctlkit('sweep', '--interpolate', ...models, '--alphas', '0,0.5,1', '--inputs', inputs, '--backend', 'reference', '--out', out);
    assert.is(r.code, 0, r.err);
    const j = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
    return { architecture: j.architecture, layers: j.layers, rows: j.rows, baseline: j.baseline };
  };
  const fromPt = sweep(pt, path.join(dir, 'pt.json'));
  assert.equal(fromPt, sweep(st, path.join(dir, 'st.json')));
  assert.is(fromPt.architecture, 'mlp');
  // merge: the same average from the .pt files and from the safetensors.
  const merged = async (models: string[], out: string): Promise<Record<string, unknown>> => {
    const m = ctlkit('merge', '--average', ...models, '--out', out);
    assert.is(m.code, 0, m.err);
    return contents(out);
  };
  assert.equal(await merged(pt, path.join(dir, 'avg_pt.safetensors')), await merged(st, path.join(dir, 'avg_st.safetensors')));
  // inspect names the source format and the chosen key.
  const i = ctlkit('inspect', pk('training.pt'));
  assert.match(i.out, /metadata: format=pt, source_format=torch-zip, source_key=state_dict, stripped_prefix=module\./);
  assert.match(i.out, /architecture: mlp/);
});

test.run();
