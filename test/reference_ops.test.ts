// Hand-computed cases for every op of the reference backend: they prove the oracle on small
// inputs (the PyTorch goldens prove it on whole models).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend, DeviceTensor } from '../src/backends/backend.js';
import { createReferenceBackend } from '../src/backends/reference/index.js';
import { erf, erfc } from '../src/backends/reference/erf.js';
import { rejection } from './harness/errors.js';

const be: Backend = await createReferenceBackend();
const up = (shape: number[], values: number[]): DeviceTensor => be.upload(new Float32Array(values), shape);
const ids = (shape: number[], values: number[]): DeviceTensor => be.upload(new Int32Array(values), shape);

/** Reads `t` and checks its shape and values (to float32 precision, NaN equal to NaN). */
async function expect(t: DeviceTensor, shape: number[], want: number[], tol = 1e-6): Promise<void> {
  assert.equal([...t.shape], shape, 'shape');
  const got = Array.from(await be.read(t));
  assert.is(got.length, want.length, 'length');
  got.forEach((g, i) => {
    const w = want[i];
    if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `[${i}] expected NaN, got ${g}`);
    else assert.ok(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)), `[${i}] expected ${w}, got ${g}`);
  });
}

const rejects = async (p: Promise<unknown>, re: RegExp): Promise<void> => assert.match(await rejection(p), re);

const r2 = (v: number): number => Math.fround(v);
const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];

test('matmul: 2×2 product, transB, leading batch dims kept', async () => {
  const a = up([2, 2], [1, 2, 3, 4]);
  await expect(await be.matmul(a, up([2, 2], [5, 6, 7, 8]), false), [2, 2], [19, 22, 43, 50]);
  await expect(await be.matmul(a, up([2, 2], [5, 7, 6, 8]), true), [2, 2], [19, 22, 43, 50]);
  const batched = up([2, 1, 2], [1, 2, 3, 4]);
  await expect(await be.matmul(batched, up([2, 3], [1, 0, 1, 0, 1, 1]), false), [2, 1, 3], [1, 2, 3, 3, 4, 7]);
  await rejects(be.matmul(a, up([3, 2], [0, 0, 0, 0, 0, 0]), false), /matmul: a has K = 2.*has K = 3/);
});

test('linear: outIn and inOut layouts with bias', async () => {
  const x = up([1, 2], [1, 2]);
  // W [out=3, in=2]; y = x·Wᵀ + b
  await expect(await be.linear(x, up([3, 2], [1, 0, 0, 1, 1, 1]), up([3], [0.5, 0, -1]), 'outIn'), [1, 3], [1.5, 2, 2]);
  await expect(await be.linear(x, up([2, 3], [1, 0, 1, 0, 1, 1]), null, 'inOut'), [1, 3], [1, 2, 3]);
  await rejects(be.linear(x, up([3, 3], new Array(9).fill(0)), null, 'outIn'), /linear: weight \[3, 3\].*expects 3 input features, x \[1, 2\] has 2/);
});

test('conv2d: 2×2 kernel without and with padding/stride, groups, dilation', async () => {
  const x = up([1, 1, 3, 3], nine);
  const w = up([1, 1, 2, 2], [1, 0, 0, -1]); // y = x[i,j] − x[i+1,j+1]
  const plain = { stride: [1, 1] as [number, number], padding: [0, 0] as [number, number], dilation: [1, 1] as [number, number], groups: 1 };
  await expect(await be.conv2d(x, w, null, plain), [1, 1, 2, 2], [-4, -4, -4, -4]);
  // padding 1, stride 2: windows start at (−1,−1), (−1,1), (1,−1), (1,1)
  await expect(await be.conv2d(x, w, up([1], [0.5]), { ...plain, stride: [2, 2], padding: [1, 1] }), [1, 1, 2, 2], [-0.5, -2.5, -6.5, -3.5]);
  // groups = 2: each channel scaled by its own filter
  await expect(await be.conv2d(up([1, 2, 1, 1], [2, 3]), up([2, 1, 1, 1], [10, 100]), null, { ...plain, groups: 2 }), [1, 2, 1, 1], [20, 300]);
  // dilation 2: y[j] = x[j] + x[j+2]
  await expect(await be.conv2d(up([1, 1, 1, 5], [1, 2, 3, 4, 5]), up([1, 1, 1, 2], [1, 1]), null, { ...plain, dilation: [1, 2] }), [1, 1, 1, 3], [4, 6, 8]);
  await rejects(be.conv2d(up([1, 4, 3, 3], new Array(36).fill(0)), up([2, 3, 1, 1], new Array(6).fill(0)), null, plain),
    /conv2d: weight has 3 input channels per group, x has 4 channels/);
  await rejects(be.conv2d(up([1, 1, 1, 1], [0]), w, null, plain), /conv2d: input height 1.*too small for kernel 2/);
});

test('batchNorm: per-channel affine normalisation', async () => {
  const x = up([1, 2, 1, 2], [1, 2, 3, 4]);
  const y = await be.batchNorm(x, up([2], [1, 2]), up([2], [4, 0.25]), up([2], [2, 1]), up([2], [0, 1]), 0);
  await expect(y, [1, 2, 1, 2], [0, 1, 3, 5]);
  await rejects(be.batchNorm(x, up([3], [0, 0, 0]), up([2], [1, 1]), up([2], [1, 1]), up([2], [0, 0]), 0), /batchNorm: mean must have shape \[2\]/);
});

test('layerNorm of [1, 2, 3]: mean 2, biased variance 2/3', async () => {
  const s = 1 / Math.sqrt(2 / 3 + 1e-5);
  await expect(await be.layerNorm(up([1, 3], [1, 2, 3]), up([3], [1, 1, 2]), up([3], [0, 0.5, 0]), 1e-5), [1, 3], [-s, 0.5, 2 * s]);
});

test('relu: negatives to 0, NaN stays NaN', async () => {
  await expect(await be.relu(up([5], [-1, 0, 2, NaN, -Infinity])), [5], [0, 0, 2, NaN, 0]);
});

test('erf/erfc against known values', () => {
  assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 1e-15);
  assert.ok(Math.abs(erf(-1) + 0.8427007929497149) < 1e-15);
  assert.ok(Math.abs(erfc(3) / 2.209049699858544e-5 - 1) < 1e-12);
  assert.ok(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1) < 1e-12);
});

test('gelu: erf and tanh forms at 1.0, 0 and −∞', async () => {
  const x = up([3], [1, 0, -Infinity]);
  await expect(await be.gelu(x, 'erf'), [3], [r2(0.8413447460685429), 0, NaN], 0);
  await expect(await be.gelu(x, 'tanh'), [3], [r2(0.8411919906082768), 0, NaN], 0);
});

test('add: b broadcast over leading dims', async () => {
  await expect(await be.add(up([2, 3], [1, 2, 3, 4, 5, 6]), up([3], [10, 20, 30])), [2, 3], [11, 22, 33, 14, 25, 36]);
  await rejects(be.add(up([2, 3], new Array(6).fill(0)), up([2], [0, 0])), /add: b \[2\] must be a suffix of a's shape \[2, 3\]/);
});

test('maxPool2d: windows, padding as −∞, NaN propagates', async () => {
  const x = up([1, 1, 3, 3], nine);
  await expect(await be.maxPool2d(x, { kernel: [2, 2], stride: [1, 1], padding: [0, 0] }), [1, 1, 2, 2], [5, 6, 8, 9]);
  await expect(await be.maxPool2d(up([1, 1, 3, 3], nine.map((v) => -v)), { kernel: [3, 3], stride: [2, 2], padding: [1, 1] }), [1, 1, 2, 2], [-1, -2, -4, -5]);
  await expect(await be.maxPool2d(up([1, 1, 1, 4], [NaN, 1, 3, 4]), { kernel: [1, 2], stride: [1, 2], padding: [0, 0] }), [1, 1, 1, 2], [NaN, 4]);
  await expect(await be.maxPool2d(up([1, 1, 1, 4], [1, NaN, 3, 4]), { kernel: [1, 2], stride: [1, 2], padding: [0, 0] }), [1, 1, 1, 2], [NaN, 4]);
});

test('avgPool2d: padded zeros count (count_include_pad)', async () => {
  const x = up([1, 1, 3, 3], nine);
  await expect(await be.avgPool2d(x, { kernel: [2, 2], stride: [2, 2], padding: [1, 1] }), [1, 1, 2, 2], [0.25, 1.25, 2.75, 7]);
  await rejects(be.avgPool2d(x, { kernel: [2, 2], stride: [1, 1], padding: [2, 2] }), /avgPool2d: padding \[2,2\] must be at most half of kernel/);
});

test('adaptiveAvgPool2d: overlapping bins 3→2 and global 3→1', async () => {
  const x = up([1, 1, 3, 3], nine);
  await expect(await be.adaptiveAvgPool2d(x, 2, 2), [1, 1, 2, 2], [3, 4, 6, 7]);
  await expect(await be.adaptiveAvgPool2d(x, 1, 1), [1, 1, 1, 1], [5]);
});

test('attention: softmax weights [1/4, 3/4], causal row 0 sees only itself', async () => {
  // heads = 1, D = 2: token 0 q=[√2,0] k=[0,0] v=[1,2]; token 1 q=[√2,0] k=[ln 3,0] v=[5,6]; scale 1/√2
  const q = Math.SQRT2;
  const qkv = up([1, 2, 6], [q, 0, 0, 0, 1, 2, q, 0, Math.log(3), 0, 5, 6]);
  await expect(await be.attention(qkv, 1, false), [1, 2, 2], [4, 5, 4, 5]);
  await expect(await be.attention(qkv, 1, true), [1, 2, 2], [1, 2, 4, 5]);
  // heads = 2, head dim 1 (scale 1): head 0 sees scores [0, ln 3], head 1 scores [0, 0]
  const qkv2 = up([1, 2, 6], [1, 1, 0, 0, 1, 2, 1, 1, Math.log(3), 0, 5, 6]);
  await expect(await be.attention(qkv2, 2, false), [1, 2, 2], [4, 4, 4, 4]);
  await rejects(be.attention(qkv2, 3, false), /attention: model dim D = 2 is not divisible by heads = 3/);
});

test('embedding: rows by id; out-of-range id named with the vocabulary size', async () => {
  const table = up([3, 2], [0, 1, 2, 3, 4, 5]);
  await expect(await be.embedding(ids([1, 2], [2, 0]), table), [1, 2, 2], [4, 5, 0, 1]);
  await rejects(be.embedding(ids([2], [1, 3]), table), /embedding: id 3 .*vocabulary of 3 tokens/);
  await rejects(be.embedding(ids([1], [-1]), table), /embedding: id -1 /);
});

test('transpose12, prependToken, selectToken', async () => {
  const x = up([1, 2, 3], [1, 2, 3, 4, 5, 6]);
  await expect(await be.transpose12(x), [1, 3, 2], [1, 4, 2, 5, 3, 6]);
  const t = await be.prependToken(up([2, 1, 2], [1, 2, 3, 4]), up([2], [9, 8]));
  await expect(t, [2, 2, 2], [9, 8, 1, 2, 9, 8, 3, 4]);
  await expect(await be.selectToken(x, 1), [1, 3], [4, 5, 6]);
  await rejects(be.selectToken(x, 2), /selectToken: index 2 is out of range for 2 tokens/);
});

test('combine: K = 2 rows of M = 2; float64 accumulation', async () => {
  const outs = await be.combine([up([2], [1, 2]), up([2], [10, 20])], new Float64Array([0.5, 0.5, 1, -1]), 2);
  assert.is(outs.length, 2);
  await expect(outs[0], [2], [5.5, 11]);
  await expect(outs[1], [2], [-9, -18]);
  // 2^24 + 1 + 1: float32 running sums would stay at 2^24
  const [big] = await be.combine([up([1], [2 ** 24]), up([1], [1]), up([1], [1])], new Float64Array([1, 1, 1]), 1);
  await expect(big, [1], [2 ** 24 + 2], 0);
  await rejects(be.combine([up([2], [0, 0]), up([3], [0, 0, 0])], new Float64Array([1, 1]), 1), /combine: basis\[1\] has shape \[3\], expected \[2\]/);
});

test('featureStats: per-sample dot, ‖F‖², ‖G‖² with G = 2·b0 − b1', async () => {
  const f = up([2, 2], [1, 2, 3, 4]);
  const s = await be.featureStats(f, [up([2, 2], [1, 1, 1, 1]), up([2, 2], [0, 1, 2, 0])], new Float64Array([2, -1]));
  assert.equal(Array.from(s.dot), [4, 8]);
  assert.equal(Array.from(s.ff), [5, 25]);
  assert.equal(Array.from(s.gg), [5, 4]);
});

test('device contract: upload/read copy, reshape shares storage, release invalidates views', async () => {
  const host = new Float32Array([1, 2, 3, 4]);
  const t = be.upload(host, [2, 2]);
  host[0] = 100;
  const back = await be.read(t);
  assert.is(back[0], 1);
  back[1] = 100;
  assert.is((await be.read(t))[1], 2);
  const v = be.reshape(t, [4]);
  assert.equal([...v.shape], [4]);
  assert.throws(() => be.reshape(t, [3]), /reshape: cannot view \[2, 2\]/);
  assert.throws(() => be.upload(new Float32Array(3), [2, 2]), /upload: data has 3 elements, shape \[2, 2\] needs 4/);
  be.release(v);
  await rejects(be.read(t), /read: tensor was released/);
  await rejects(be.relu(t), /relu: x was released/);
});

test.run();
