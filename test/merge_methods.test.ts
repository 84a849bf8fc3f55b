// Hand-computed merges (TIES, breadcrumbs, slerp, model_stock), DARE / DELLA statistics and seed
// determinism, and the mergekit bugs ctlkit fixes — on the reference methods, and on the native
// kernels where the addon has them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ties } from '../src/merge/methods/ties.js';
import { breadcrumbs } from '../src/merge/methods/breadcrumbs.js';
import { slerp } from '../src/merge/methods/slerp.js';
import { modelStock } from '../src/merge/methods/model_stock.js';
import { dareLinear, dareTies } from '../src/merge/methods/dare.js';
import { della } from '../src/merge/methods/della.js';
import { sce } from '../src/merge/methods/sce.js';
import { draw32, streamKey } from '../src/merge/methods/rng.js';
import type { MergeMethod, ParamValue, TensorJob } from '../src/merge/methods/types.js';
import { loadMergeAddon } from '../src/merge/native.js';
import path from 'node:path';
import { repoRoot } from './harness/paths.js';
import { runWithThreads } from './harness/threads.js';

const addon = loadMergeAddon(process.env.CTLKIT_REQUIRE_BACKENDS?.includes('native') ?? false);

function defaults(m: MergeMethod, over: Record<string, ParamValue>): Record<string, ParamValue> {
  return { ...Object.fromEntries(m.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default!])), ...over };
}
function job(m: MergeMethod, base: number[] | undefined, xs: { data: number[] | Float32Array; params?: Record<string, ParamValue> }[], global: Record<string, ParamValue> = {}, seed = 0): TensorJob {
  const tp = (p: Record<string, ParamValue> = {}) => ({ ...Object.fromEntries(m.tensorParams.filter((d) => d.default !== undefined).map((d) => [d.name, d.default!])), ...p });
  return {
    name: 't', shape: [xs[0].data.length], base: base && Float32Array.from(base), seed,
    inputs: xs.map((x, i) => ({ data: Float32Array.from(x.data), params: tp(x.params), index: i })),
    global: defaults(m, global),
  };
}
const close = (got: ArrayLike<number>, want: number[], what: string) => {
  assert.is(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-12, `${what}[${i}] = ${got[i]}, want ${want[i]}`);
};

test('ties: trim, elect, disjoint mean by hand', () => {
  // density 0.5 keeps 2 of 4; b's three |1| ties keep the lowest index
  const a = [1, -2, 0.5, 3], b = [-1, -1, 2, 1];
  close(ties.merge(job(ties, [0, 0, 0, 0], [{ data: a, params: { weight: 2, density: 0.5 } }, { data: b, params: { weight: 1, density: 0.5 } }])), [-1, -2, 2, 3], 'trimmed');
  // no trim, conflicting signs: mergekit elects on weighted deltas, the paper on unweighted ones
  const c = [-3, -1, 2, -4];
  close(ties.merge(job(ties, [0, 0, 0, 0], [{ data: a, params: { weight: 1 } }, { data: c, params: { weight: 1 } }])), [-3, -1.5, 1.25, -4], 'equal weights');
  close(ties.merge(job(ties, [0, 0, 0, 0], [{ data: a, params: { weight: 3 } }, { data: c, params: { weight: 1 } }])), [1, -1.75, 0.875, 3], 'mergekit election');
  close(ties.merge(job(ties, [0, 0, 0, 0], [{ data: a, params: { weight: 3 } }, { data: c, params: { weight: 1 } }], { sign_election: 'paper' })), [-3, -1.75, 0.875, -4], 'paper election');
  // a per-element all-zero vote: divisor 0 → 1, the base stays
  close(ties.merge(job(ties, [5, 5], [{ data: [5, 6], params: { weight: 1 } }])), [5, 6], 'zero delta');
});

test('breadcrumbs: γ·n < 1 keeps the top density (mergekit zeroes the whole task vector); γ drops the largest', () => {
  const base = new Array(10).fill(0);
  const d = [0.1, -0.9, 0.3, 0.7, -0.2, 0.5, 0.05, -0.6, 0.4, 0.8];
  // γ = 0.01: n_top = 0, n_bot = 5 → the five largest |δ| stay: -0.9, 0.7, 0.5, -0.6, 0.8
  close(breadcrumbs.merge(job(breadcrumbs, base, [{ data: d, params: { weight: 1, density: 0.5 } }])), [0, -0.9, 0, 0.7, 0, 0.5, 0, -0.6, 0, 0.8].map(Math.fround), 'γ·n < 1');
  // γ = 0.1: drop the largest (-0.9) and the 4 smallest → 0.7, 0.5, -0.6, 0.8, 0.4
  close(breadcrumbs.merge(job(breadcrumbs, base, [{ data: d, params: { weight: 1, density: 0.5, gamma: 0.1 } }])), [0, 0, 0, 0.7, 0, 0.5, 0, -0.6, 0.4, 0.8].map(Math.fround), 'γ = 0.1');
});

test('slerp: quarter circle by hand, colinear → lerp', () => {
  close(slerp.merge(job(slerp, [1, 0], [{ data: [0, 1] }], { t: 0.5 })), [Math.SQRT1_2, Math.SQRT1_2], 'orthogonal');
  close(slerp.merge(job(slerp, [1, 0], [{ data: [0, 3] }], { t: 1 / 3 })), [Math.cos(Math.PI / 6), 3 * Math.sin(Math.PI / 6)], 'norms kept per endpoint');
  close(slerp.merge(job(slerp, [1, 2], [{ data: [2, 4] }], { t: 0.25 })), [1.25, 2.5], 'colinear');
});

test('model_stock: t = N·cos / (1 + (N − 1)·cos) by hand', () => {
  // offsets (1,1) and (1,0): cos = 1/√2, t = 2c / (1 + c); avg = (1, 0.5)
  const c = Math.SQRT1_2, t = (2 * c) / (1 + c);
  close(modelStock.merge(job(modelStock, [0, 0], [{ data: [1, 1] }, { data: [1, 0] }])), [t, t * 0.5], 'two models');
  close(modelStock.merge(job(modelStock, [0, 0], [{ data: [1, 0] }, { data: [0, 1] }])), [0, 0], 'orthogonal offsets: the base');
  close(modelStock.merge(job(modelStock, [1, 1], [{ data: [2, 3] }, { data: [2, 3] }, { data: [2, 3] }])), [2, 3], 'identical: the average');
});

const big = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5 + (i % 7) * 0.01);

test('dare: kept fraction ≈ density, L1 preserved by the default rescale, deterministic per seed', () => {
  const n = 200_000, x = big(n, 1), zero = new Array(n).fill(0);
  const plain = dareLinear.merge(job(dareLinear, zero, [{ data: x, params: { weight: 1, density: 0.3 } }], { rescale: false }, 11));
  const kept = plain.reduce((k, v) => k + (v !== 0 ? 1 : 0), 0) / n;
  assert.ok(Math.abs(kept - 0.3) < 4 * Math.sqrt(0.3 * 0.7 / n), `kept ${kept}`);
  const l1 = (a: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i]); return s; };
  const resc = dareLinear.merge(job(dareLinear, zero, [{ data: x, params: { weight: 1, density: 0.3 } }], {}, 11));
  assert.ok(Math.abs(l1(resc) / l1(x) - 1) < 1e-12, `L1 ratio ${l1(resc) / l1(x)}`);
  const again = dareLinear.merge(job(dareLinear, zero, [{ data: x, params: { weight: 1, density: 0.3 } }], {}, 11));
  assert.equal(Array.from(again), Array.from(resc), 'same seed, same result');
  const other = dareLinear.merge(job(dareLinear, zero, [{ data: x, params: { weight: 1, density: 0.3 } }], {}, 12));
  assert.ok(other.some((v, i) => v !== resc[i]), 'another seed, another mask');
  // two models' streams differ (the model index keys the stream)
  const [k0a, k1a] = streamKey(11, 't', 0), [k0b, k1b] = streamKey(11, 't', 1);
  let same = 0;
  for (let i = 0; i < 1000; i++) same += (draw32(k0a, k1a, i) < 0x80000000) === (draw32(k0b, k1b, i) < 0x80000000) ? 1 : 0;
  assert.ok(same > 400 && same < 600, `${same} of 1000 equal coin flips`);
});

test('della: kept fraction ≈ density, larger magnitudes kept more often', () => {
  const n = 100_000, x = big(n, 2), zero = new Array(n).fill(0);
  const out = della.merge(job(della, zero, [{ data: x, params: { weight: 1, density: 0.4, epsilon: 0.2 } }], { rescale: false, normalize: false }, 3));
  const kept = out.reduce((k, v) => k + (v !== 0 ? 1 : 0), 0) / n;
  assert.ok(Math.abs(kept - 0.4) < 0.01, `kept ${kept}`);
  const order = Array.from(x.keys()).sort((a, b) => Math.abs(x[a]) - Math.abs(x[b]));
  const frac = (ix: number[]) => ix.filter((i) => out[i] !== 0).length / ix.length;
  const lo = frac(order.slice(0, n / 10)), hi = frac(order.slice(-n / 10));
  assert.ok(lo < 0.25 && hi > 0.55, `kept ${lo} of the smallest tenth, ${hi} of the largest`);
});

test('sce: select_topk 0 leaves the base (mergekit\'s early-exit mask has the wrong shape)', () => {
  close(sce.merge(job(sce, [1, 2, 3], [{ data: [2, 2, 2] }, { data: [0, 5, 3] }], { select_topk: 0 })), [1, 2, 3], 'zero');
});

test('native kernels equal the reference methods on BF16 inputs with ties in |δ| (ties, dare_ties, dare_linear)', async () => {
  if (!addon) return;
  const n = 70_001; // more than one kernel block, odd
  const bf = (s: number) => {
    const f = Float32Array.from({ length: n }, (_, i) => Math.round(Math.sin(i * 0.37 + s) * 64) / 64); // many equal magnitudes
    const u = new Uint16Array(new Uint32Array(f.buffer).map((b) => b >>> 16));
    return { f, bytes: new Uint8Array(u.buffer) };
  };
  const [b, x1, x2] = [bf(0), bf(1), bf(2)];
  for (const [m, sp, cons] of [[ties, 1, 1], [dareTies, 2, 1], [dareLinear, 2, 0]] as const) {
    for (const paper of [false, true]) {
      const g: Record<string, ParamValue> = { ...defaults(m, {}), ...(paper && cons ? { sign_election: 'paper' } : {}) };
      const ref = m.merge({ name: 'w', shape: [n], base: b.f, seed: 5, global: g, inputs: [{ data: x1.f, params: { weight: 0.7, density: 0.35 }, index: 0 }, { data: x2.f, params: { weight: -0.4, density: 0.6 }, index: 1 }] });
      const out = new Uint8Array(n * 4);
      const keys = Float64Array.from([...streamKey(5, 'w', 0), ...streamKey(5, 'w', 1)]);
      const flags = (g.normalize ? 1 : 0) | (g.rescale ? 2 : 0);
      await addon.mergeGta(b.bytes, 2, [x1.bytes, x2.bytes], Int32Array.of(2, 2), Float64Array.of(0.7, -0.4), Float64Array.of(0.35, 0.6), keys, sp, cons ? (paper ? 2 : 1) : 0, flags, 1, out, 0);
      const got = new Float32Array(out.buffer);
      let bad = 0;
      for (let i = 0; i < n; i++) if (Math.abs(got[i] - Math.fround(ref[i])) > 1e-6 * Math.max(1, Math.abs(ref[i]))) bad++;
      assert.is(bad, 0, `${m.name}${paper ? ' paper' : ''}: ${bad} elements differ`);
    }
  }
});

test('native ties / dare_ties: the same bytes on 1 thread and on all threads (fixed-block reductions)', () => {
  if (!addon) return;
  const bindings = path.join(repoRoot, 'dist', 'src', 'backends', 'native', 'bindings.js');
  const script = `
    const { loadNative } = await import(${JSON.stringify(bindings)});
    const { createHash } = await import('node:crypto');
    const m = loadNative(); const n = 300007; let s = 7;
    const mk = () => { const u = new Uint16Array(n); for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; u[i] = ((s >>> 16) & 0x3fff) | 0x3800; } return new Uint8Array(u.buffer); };
    const b = mk(), x = mk(), y = mk(); const h = createHash('sha256');
    for (const [sp, cons, flags] of [[1, 1, 3], [2, 1, 2], [2, 0, 2]]) {
      const out = new Uint8Array(n * 2);
      await m.mergeGta(b, 2, [x, y], Int32Array.of(2, 2), Float64Array.of(0.6, 0.4), Float64Array.of(0.3, 0.7), Float64Array.of(1, 2, 3, 4), sp, cons, flags, 0.9, out, 2);
      h.update(out);
    }
    console.log(h.digest('hex'));`;
  const run = (threads?: string) => runWithThreads(script, threads);
  const one = run('1');
  assert.match(one, /^[0-9a-f]{64}$/);
  assert.is(run('2'), one, '2 threads');
  assert.is(run('3'), one, '3 threads');
});

test.run();
