// mergeCheckpoint against an independent host computation; dtype option; atomic output; integer
// tensors copied from the first model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { writeSafetensors } from '../src/io/writer.js';
import { mergeCheckpoint } from '../src/merge/merge.js';
import type { FloatTensor, Tensor } from '../src/tensor.js';
import { mlpTensors, writeMlp } from './harness/synthetic.js';
import { fixture } from './harness/paths.js';
import { rejection } from './harness/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-merge-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const f = (name: string) => path.join(dir, name);
const widths = [5, 4, 3];
const counter = (v: bigint): Tensor => ({ dtype: 'int64', shape: [], data: new BigInt64Array([v]) });

/** W = Σ_j c_j W_j in float64, rounded once to float32. */
function expected(models: Map<string, Tensor>[], c: number[], name: string): Float32Array {
  const ts = models.map((m) => (m.get(name) as FloatTensor).data);
  return Float32Array.from(ts[0], (_, i) => ts.reduce((s, t, j) => s + c[j] * t[i], 0));
}

test('merged float tensors equal the host combination; integer tensors come from the first model', async () => {
  const ms = await Promise.all([1, 2, 3].map((s) => writeMlp(f(`m${s}.safetensors`), widths, s, { extra: { 'bn.num_batches_tracked': counter(BigInt(100 * s)) } })));
  const c = [0.2, -0.5, 1.3];
  const s = await mergeCheckpoint([1, 2, 3].map((i) => f(`m${i}.safetensors`)), c, f('out.safetensors'));
  assert.equal([s.combined, s.copied, s.dtype], [4, 1, 'F32']);
  const out = await openCheckpoint(f('out.safetensors'));
  for (const name of ['0.weight', '0.bias', '2.weight', '2.bias']) {
    const got = (await out.read(name)) as FloatTensor;
    assert.equal(got.shape, ms[0].get(name)!.shape);
    assert.equal(Array.from(got.data), Array.from(expected(ms, c, name)), name);
  }
  const n = await out.read('bn.num_batches_tracked');
  assert.is(out.tensors.get('bn.num_batches_tracked')!.dtype, 'I64');
  assert.equal(Array.from(n.data as BigInt64Array), [100n]);
  await out.close();
});

test('dtype: default follows the first model (BF16), --dtype F16 stores half floats', async () => {
  await Promise.all([1, 2].map((s) => writeMlp(f(`h${s}.safetensors`), widths, s + 10, { dtype: 'BF16' })));
  await mergeCheckpoint([f('h1.safetensors'), f('h2.safetensors')], [0.5, 0.5], f('bf.safetensors'));
  const bf = await openCheckpoint(f('bf.safetensors'));
  assert.is(bf.tensors.get('0.weight')!.dtype, 'BF16');
  await bf.close();
  await mergeCheckpoint([f('h1.safetensors'), f('h2.safetensors')], [0.5, 0.5], f('half.safetensors'), { dtype: 'F16' });
  const half = await openCheckpoint(f('half.safetensors'));
  assert.is(half.tensors.get('0.weight')!.dtype, 'F16');
  // the inputs were stored as BF16: combine what was read back, then compare to F16 precision
  const read = await Promise.all(['h1', 'h2'].map(async (h) => {
    const ck = await openCheckpoint(f(`${h}.safetensors`));
    const m = new Map([['0.weight', await ck.read('0.weight')]]);
    await ck.close();
    return m;
  }));
  const want = expected(read, [0.5, 0.5], '0.weight');
  const got = ((await half.read('0.weight')) as FloatTensor).data;
  want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-3 * Math.abs(v) + 1e-7, `${got[i]} vs ${v}`));
  await half.close();
});

test('a failure leaves an existing target untouched and no temporary file', async () => {
  await writeMlp(f('ok.safetensors'), widths, 21);
  const bad = mlpTensors(widths, 22);
  (bad.get('2.weight')!.data as Float32Array)[3] = Infinity;
  await writeSafetensors(f('inf.safetensors'), bad);
  writeFileSync(f('target.safetensors'), 'previous contents');
  const before = readdirSync(dir).sort();
  try {
    await mergeCheckpoint([f('ok.safetensors'), f('inf.safetensors')], [0.5, 0.5], f('target.safetensors'));
    assert.unreachable('expected an error');
  } catch (e) {
    assert.match((e as Error).message, /tensor '2\.weight' has NaN or Inf at flat index 3/);
  }
  assert.is(readFileSync(f('target.safetensors'), 'utf8'), 'previous contents');
  assert.equal(readdirSync(dir).sort(), before);
});

test('progress per tensor; an abort mid-merge leaves an existing target untouched and no temporary file', async () => {
  const models = [f('p1.safetensors'), f('p2.safetensors')];
  await Promise.all(models.map((m, i) => writeMlp(m, widths, 41 + i)));
  const seen: string[] = [];
  await mergeCheckpoint(models, [0.5, 0.5], f('p.safetensors'), { onProgress: (p) => seen.push(`${p.tensor} ${p.tensorsDone}/${p.tensorsTotal}`) });
  assert.equal(seen, ['0.bias 1/4', '0.weight 2/4', '2.bias 3/4', '2.weight 4/4']); // the file's tensor order
  writeFileSync(f('abort_target.safetensors'), 'previous contents');
  const before = readdirSync(dir).sort();
  const ctl = new AbortController();
  const aborted = mergeCheckpoint(models, [0.5, 0.5], f('abort_target.safetensors'), {
    signal: ctl.signal,
    onProgress: (p) => p.tensorsDone === 2 && ctl.abort(new Error('merge cancelled')),
  });
  assert.match(await rejection(aborted), /merge cancelled/);
  assert.is(readFileSync(f('abort_target.safetensors'), 'utf8'), 'previous contents');
  assert.equal(readdirSync(dir).sort(), before);
});

test('bad arguments: coefficient count, incompatible models', async () => {
  await writeMlp(f('w1.safetensors'), widths, 31);
  await writeMlp(f('w2.safetensors'), [5, 6, 3], 32);
  assert.match(await rejection(mergeCheckpoint([f('w1.safetensors')], [0.5, 0.5], f('x.safetensors'))), /expected 1 finite coefficients/);
  assert.match(await rejection(mergeCheckpoint([f('w1.safetensors'), f('w2.safetensors')], [0.5, 0.5], f('x.safetensors'))), /tensor '0\.bias' has shape \[4\] in .*w1\.safetensors but \[6\] in .*w2\.safetensors/);
});

test('the PyTorch merge golden (0.25·ft_a + 0.75·ft_b, ResNet with BatchNorm counters) is reproduced bit for bit', async () => {
  const sw = (n: string) => fixture('sweeps', 'resnet', n);
  await mergeCheckpoint([sw('ft_a.safetensors'), sw('ft_b.safetensors')], [0.25, 0.75], f('resnet_merged.safetensors'));
  const got = await openCheckpoint(f('resnet_merged.safetensors'));
  const want = await openCheckpoint(sw('merged_interpolate_alpha0.25.safetensors'));
  assert.equal([...got.tensors.keys()], [...want.tensors.keys()]);
  for (const [name, info] of want.tensors) {
    assert.equal(got.tensors.get(name), info, name);
    const [g, w] = [await got.read(name), await want.read(name)];
    assert.equal(Array.from(g.data as ArrayLike<unknown>), Array.from(w.data as ArrayLike<unknown>), name);
  }
  await Promise.all([got.close(), want.close()]);
});

test.run();
