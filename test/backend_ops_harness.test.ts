// Proves the backend-ops harness can fail: every case passes on the reference against itself,
// and deliberately broken wrappers of the reference backend are caught.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend, DeviceTensor } from '../src/backends/backend.js';
import { createReferenceBackend } from '../src/backends/reference/index.js';
import { cases, selectCases, type OpCase } from './harness/cases.js';
import { checkCase } from './harness/check_case.js';
import { compareOutput, nmse, nonfiniteMismatches } from './harness/compare.js';

const reference = await createReferenceBackend();

/** The reference backend with some methods replaced. */
function broken(overrides: Partial<Backend>): Backend {
  return Object.assign(Object.create(reference) as Backend, overrides);
}

/** Reads `t`, lets `edit` change the values, and uploads the result as a new tensor. */
async function edited(t: DeviceTensor, edit: (d: Float32Array) => void): Promise<DeviceTensor> {
  const d = (await reference.read(t)) as Float32Array;
  edit(d);
  return reference.upload(d, t.shape);
}

function one(vars: string): OpCase {
  const found = cases.filter((c) => c.vars() === vars);
  assert.is(found.length, 1, `expected one case named ${vars}`);
  return found[0];
}

async function expectFailure(be: Backend, vars: string, problem: RegExp): Promise<void> {
  const r = await checkCase(be, reference, one(vars));
  assert.is(r.status, 'fail', `${vars} should fail on the broken backend`);
  assert.ok(r.problems.some((p) => problem.test(p)), `no problem matching ${problem} in:\n${r.problems.join('\n')}`);
}

test('every op of the interface has cases, and vars() are unique', () => {
  const ops = new Set(cases.map((c) => c.op));
  for (const op of ['matmul', 'linear', 'conv2d', 'batchNorm', 'layerNorm', 'relu', 'gelu', 'quickGelu', 'concatLast', 'l2Normalize', 'add', 'maxPool2d', 'avgPool2d',
    'adaptiveAvgPool2d', 'attention', 'embedding', 'transpose12', 'prependToken', 'selectToken', 'combine', 'featureStats', 'featureProducts']) {
    assert.ok(ops.has(op as OpCase['op']), `no case for ${op}`);
  }
  const names = cases.map((c) => c.vars());
  assert.is(new Set(names).size, names.length, 'duplicate vars()');
  assert.ok(selectCases('conv2d(').every((c) => c.op === 'conv2d'));
});

test('every case passes on the reference against itself', async () => {
  for (const c of cases) {
    const r = await checkCase(reference, reference, c);
    assert.is(r.status, 'ok', `${r.vars}: ${r.problems.join('; ')}`);
    assert.is(r.nmse, 0, r.vars);
  }
});

test('relu returning its input unchanged fails (not fresh, wrong values)', async () => {
  const be = broken({ relu: async (x) => x });
  await expectFailure(be, 'relu(x=[2,3,7,5])', /output is one of the input tensors/);
  await expectFailure(be, 'relu(x=[2,3,7,5])', /nmse/);
});

test('one wrong element in a 67×129×33 matmul fails', async () => {
  const be = broken({
    matmul: async (a, b, t) => edited(await reference.matmul(a, b, t), (d) => { d[d.length - 1] += 0.5; }),
  });
  await expectFailure(be, 'matmul(A=[67,129],N=33,transB=1)', /out: nmse .* > 1e-9/);
});

test('a last-bit difference fails an exact op; float32 accumulation passes a reduction', async () => {
  const nudge = (d: Float32Array): void => {
    const u = new Uint32Array(d.buffer);
    u[3] += 1;
  };
  const be = broken({ transpose12: async (x) => edited(await reference.transpose12(x), nudge) });
  await expectFailure(be, 'transpose12(x=[2,7,33])', /nmse .* > 0/);
  const c = one('linear(x=[3,1023],out=3,layout=outIn,bias=0)');
  const f32acc = broken({
    linear: async (x, w, b, layout) => {
      // float32 running sums, as a simple fast kernel would do
      const xs = (await reference.read(x)) as Float32Array;
      const ws = (await reference.read(w)) as Float32Array;
      const out = new Float32Array(3 * 3);
      for (let i = 0; i < 3; i++) {
        for (let o = 0; o < 3; o++) {
          let s = 0;
          for (let k = 0; k < 1023; k++) s = Math.fround(s + Math.fround(xs[i * 1023 + k] * ws[o * 1023 + k]));
          out[i * 3 + o] = s;
        }
      }
      assert.is(layout, 'outIn');
      assert.is(b, null);
      return reference.upload(out, [3, 3]);
    },
  });
  const r = await checkCase(f32acc, reference, c);
  assert.is(r.status, 'ok', r.problems.join('; '));
  assert.ok(r.nmse > 0, 'float32 sums differ from float64 ones somewhere');
});

test('a one-pass float32 variance (E[x²] − μ²) fails layerNorm on rows with mean 50', async () => {
  const onePass = broken({
    layerNorm: async (x, w, b, eps) => {
      const xs = (await reference.read(x)) as Float32Array;
      const ws = (await reference.read(w)) as Float32Array;
      const bs = (await reference.read(b)) as Float32Array;
      const d = ws.length;
      const out = new Float32Array(xs.length);
      for (let r = 0; r < xs.length; r += d) {
        let s = 0;
        let ss = 0;
        for (let i = 0; i < d; i++) {
          s = Math.fround(s + xs[r + i]);
          ss = Math.fround(ss + Math.fround(xs[r + i] * xs[r + i]));
        }
        const mu = Math.fround(s / d);
        const inv = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(ss / d) - Math.fround(mu * mu)) + eps));
        for (let i = 0; i < d; i++) out[r + i] = (xs[r + i] - mu) * inv * ws[i] + bs[i];
      }
      return reference.upload(out, x.shape);
    },
  });
  await expectFailure(onePass, 'layerNorm(x=[4,1023],eps=0.00001,mean=50)', /out: nmse .* > 1e-9/);
  const r = await checkCase(onePass, reference, one('layerNorm(x=[2,7,33],eps=0.00001)'));
  assert.is(r.status, 'ok', `zero-mean rows are fine even one-pass: ${r.problems.join('; ')}`);
});

test('NaN turned into a number, and a NaN that appears from nowhere, both fail', async () => {
  const dropsNaN = broken({ relu: async (x) => edited(await reference.relu(x), (d) => d.forEach((v, i) => { if (Number.isNaN(v)) d[i] = 0; })) });
  await expectFailure(dropsNaN, 'relu(x=[1023],nonfinite)', /non-finite mismatch .*got 0, reference NaN/);
  const makesNaN = broken({ add: async (a, b) => edited(await reference.add(a, b), (d) => { d[2] = NaN; }) });
  await expectFailure(makesNaN, 'add(a=[2,7,33],b=[33])', /non-finite mismatch \[2\] got NaN/);
});

test('an op that writes into its input fails', async () => {
  const be = broken({
    add: async (a, b) => {
      const out = await reference.add(a, b);
      const ra = a as unknown as { data: Float32Array };
      ra.data[0] += 1;
      return out;
    },
  });
  await expectFailure(be, 'add(a=[2,7,33],b=[7,33])', /input 0 changed by the op/);
});

test('wrong shape, wrong count of combine outputs, wrong featureStats sums, thrown errors fail', async () => {
  const flat = broken({
    selectToken: async (x, i) => {
      const t = await reference.selectToken(x, i);
      return reference.reshape(t, [t.shape[0] * t.shape[1]]);
    },
  });
  await expectFailure(flat, 'selectToken(x=[2,7,33],index=6)', /shape \[66\], reference \[2, 33\]/);
  const short = broken({ combine: async (basis, c, k) => (await reference.combine(basis, c, k)).slice(1) });
  await expectFailure(short, 'combine(shape=[33,7],K=3,M=2)', /2 outputs, reference 3/);
  const stats = broken({
    featureStats: async (f, basis, c) => {
      const s = await reference.featureStats(f, basis, c);
      s.gg[0] *= 1.001;
      return s;
    },
  });
  await expectFailure(stats, 'featureStats(f=[4,33],M=2)', /gg: nmse/);
  const throws = broken({ conv2d: async () => { throw new Error('kernel missing'); } });
  await expectFailure(throws, 'conv2d(N=2,C=3,H=7,W=5,O=4,k=3x3,s=2,p=1,d=1,g=1)', /threw: kernel missing/);
});

test('supports(op) === false reports "not supported" instead of failing', async () => {
  const be = broken({ supports: (op) => op !== 'attention' });
  const r = await checkCase(be, reference, one('attention(N=2,T=7,D=8,H=2,causal=1)'));
  assert.is(r.status, 'not supported');
});

test('compare: nmse and non-finite position checks on small arrays', () => {
  assert.is(nmse([1, 2], [1, 2]), 0);
  assert.ok(Math.abs(nmse([1, 3], [1, 2]) - 1 / 5) < 1e-15);
  assert.is(nmse([0, 1e-30], [0, 0]), Infinity);
  assert.is(nmse([NaN, 1], [NaN, 1]), 0);
  assert.equal(nonfiniteMismatches([Infinity, 1], [-Infinity, 1]), ['[0] got +Inf, reference -Inf']);
  assert.equal(nonfiniteMismatches([1, 1], [1, NaN]), ['[1] got 1, reference NaN']);
  const r = compareOutput({ name: 'out', shape: [2], dtype: 'float32', data: new Float32Array([1, 2]) },
    { name: 'out', shape: [1, 2], dtype: 'float32', data: new Float32Array([1, 2]) }, { nmse: 0, reason: 'exact' });
  assert.equal(r.problems, ['out: shape [2], reference [1, 2]']);
});

test.run();
