// The native model_stock and karcher (native/ops/merge_gram.cpp, src/merge/karcher_gram.ts) against
// the reference methods on every ISA level: mixed input dtypes (F32 base, BF16, F16, F32), sizes 1,
// 17, 1023 and over one kernel block (rows longer than a block with filter_wise), 2 and 3 models;
// karcher with a zero model, colinear models, all-zero inputs, max_iter 0 / 1 / 3 and a large tol;
// float32 output within 1e-6. And the same bytes on 1, 2 and 3 threads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadNative, type NativeModule } from '../src/backends/native/bindings.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { writeSafetensors } from '../src/io/writer.js';
import { merge } from '../src/merge/run.js';
import { loadMergeAddon } from '../src/merge/native.js';
import type { Tensor } from '../src/tensor.js';
import { repoRoot } from './harness/paths.js';
import { runWithThreads } from './harness/threads.js';

const addon = loadMergeAddon(process.env.CTLKIT_REQUIRE_BACKENDS?.includes('native') ?? false);
const nm = addon ? (loadNative() as NativeModule) : undefined;
const dir = mkdtempSync(path.join(tmpdir(), 'ctl-merge-stock-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const SHAPES: Record<string, number[]> = { one: [1], v17: [17], v1023: [1023], m3x17: [3, 17], rows: [2, 16384 + 77], long: [70001], t2x3x5: [2, 3, 5] };

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2);
}

/** base (F32); a, b (BF16 / F16): base + noise; c (F32); w, v (BF16 / F16): far from the base (wide
 *  angles: the karcher iteration matters); z, y all zeros; k = 2·a (colinear with a). */
async function models(): Promise<void> {
  const base: Record<string, Float32Array> = {};
  Object.entries(SHAPES).forEach(([name, shape], t) => { base[name] = values(shape.reduce((x, y) => x * y, 1), 100 + t); });
  const noisy = (seed: number, scale: number) => Object.fromEntries(Object.entries(base).map(([name, v], t) => {
    const r = values(v.length, seed * 31 + t);
    return [name, Float32Array.from(v, (x, i) => x + scale * r[i])];
  }));
  const sets: Record<string, [Record<string, Float32Array>, 'F32' | 'F16' | 'BF16']> = {
    base: [base, 'F32'], a: [noisy(1, 0.05), 'BF16'], b: [noisy(2, 0.08), 'F16'], c: [noisy(3, 0.03), 'F32'],
    z: [Object.fromEntries(Object.entries(base).map(([n, v]) => [n, new Float32Array(v.length)])), 'F32'],
    w: [noisy(4, 3), 'BF16'], v: [noisy(5, 2), 'F16'],
    y: [Object.fromEntries(Object.entries(base).map(([n, v]) => [n, new Float32Array(v.length)])), 'F16'],
  };
  // colinear with a: 2·(a as BF16), exact in F32
  const aBf = Object.fromEntries(Object.entries(sets.a[0]).map(([n, v]) => [n, Float32Array.from(v, (x) => new Float32Array(new Uint32Array([new Uint32Array(Float32Array.of(x).buffer)[0] & 0xffff0000]).buffer)[0])]));
  sets.k = [Object.fromEntries(Object.entries(aBf).map(([n, v]) => [n, v.map((x) => 2 * x)])), 'F32'];
  for (const [m, [ts, dtype]] of Object.entries(sets)) {
    mkdirSync(path.join(dir, m));
    const map = new Map<string, Tensor>(Object.entries(ts).map(([n, data]) => [n, { dtype: 'float32', shape: SHAPES[n], data }]));
    await writeSafetensors(path.join(dir, m, 'model.safetensors'), map, { dtype });
    writeFileSync(path.join(dir, m, 'config.json'), '{"model_type": "llama"}');
  }
}

const list = (ms: string[]) => ms.map((m) => `  - {model: ${m}}`).join('\n');
const CASES: Record<string, string> = {
  stock2: `merge_method: model_stock\nbase_model: base\nmodels:\n${list(['a', 'b'])}\n`,
  stock3: `merge_method: model_stock\nbase_model: base\nmodels:\n${list(['a', 'b', 'c'])}\n`,
  stock2_rows: `merge_method: model_stock\nbase_model: base\nparameters: {filter_wise: true}\nmodels:\n${list(['b', 'c'])}\n`,
  stock3_rows: `merge_method: model_stock\nbase_model: base\nparameters: {filter_wise: true}\nmodels:\n${list(['a', 'b', 'c'])}\n`,
  karcher3: `merge_method: karcher\nmodels:\n${list(['w', 'v', 'c'])}\n`,
  karcher3_near: `merge_method: karcher\nmodels:\n${list(['a', 'b', 'c'])}\n`,
  karcher_base: `merge_method: karcher\nbase_model: base\nmodels:\n${list(['base', 'w', 'b'])}\n`,
  karcher2_iter1: `merge_method: karcher\nparameters: {max_iter: 1}\nmodels:\n${list(['v', 'c'])}\n`,
  karcher_iter0: `merge_method: karcher\nparameters: {max_iter: 0}\nmodels:\n${list(['a', 'w', 'v'])}\n`,
  karcher_iter3_tol: `merge_method: karcher\nparameters: {max_iter: 3, tol: 0.05}\nmodels:\n${list(['w', 'v', 'c'])}\n`,
  karcher_zero: `merge_method: karcher\nmodels:\n${list(['z', 'w', 'b'])}\n`,
  karcher_all_zero: `merge_method: karcher\nmodels:\n${list(['z', 'y'])}\n`,
  karcher_colinear: `merge_method: karcher\nmodels:\n${list(['a', 'k'])}\n`,
  karcher_colinear3: `merge_method: karcher\nmodels:\n${list(['a', 'k', 'w'])}\n`,
  karcher_one: `merge_method: karcher\nmodels:\n${list(['b'])}\n`,
};

async function tensors(out: string): Promise<Map<string, Float32Array>> {
  const c = await openCheckpoint(out);
  try {
    const m = new Map<string, Float32Array>();
    for (const n of c.tensors.keys()) m.set(n, (await c.read(n)).data as Float32Array);
    return m;
  } finally {
    await c.close();
  }
}

test('native model_stock and karcher equal the reference methods on every ISA level', async () => {
  if (!addon || !nm) return;
  await models();
  try {
    for (const [name, yml] of Object.entries(CASES)) {
      const run = (backend: 'native' | 'reference', tag: string) => merge(yml, { out: path.join(dir, `${name}-${tag}`), dtype: 'F32', backend, baseDir: dir });
      const r = await run('reference', 'ref');
      assert.is(r.native, 0);
      const want = await tensors(path.join(dir, `${name}-ref`));
      for (const isa of nm.cpuFeatures().isas) {
        nm.setIsa(isa);
        const g = await run('native', isa);
        assert.ok(g.native === Object.keys(SHAPES).length && g.reference === 0, `${name}: ran natively`);
        const got = await tensors(path.join(dir, `${name}-${isa}`));
        for (const [t, e] of want) {
          const v = got.get(t)!;
          assert.is(v.length, e.length);
          for (let i = 0; i < e.length; i++) {
            const err = Math.abs(v[i] - e[i]) / Math.max(1, Math.abs(e[i]));
            if (!(err <= 1e-6)) assert.unreachable(`${name} ${isa}: ${t}[${i}] = ${v[i]}, reference ${e[i]}`);
          }
        }
      }
    }
  } finally {
    nm.setSimd(true);
  }
});

test('native model_stock / Gram sums: the same bytes on 1, 2 and 3 threads (fixed-block reductions)', () => {
  if (!addon) return;
  const bindings = path.join(repoRoot, 'dist', 'src', 'backends', 'native', 'bindings.js');
  const script = `
    const { loadNative } = await import(${JSON.stringify(bindings)});
    const { createHash } = await import('node:crypto');
    const m = loadNative(); const n = 300000; let s = 7;
    const mk = () => { const u = new Uint16Array(n); for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; u[i] = ((s >>> 16) & 0x3fff) | 0x3800; } return new Uint8Array(u.buffer); };
    const b = mk(), x = mk(), y = mk(), z = mk(); const h = createHash('sha256');
    for (const seg of [n, 1000, 30000]) {
      const out = new Uint8Array(n * 2);
      await m.mergeModelStock(b, 2, [x, y, z], Int32Array.of(2, 2, 2), seg, out, 2);
      const sums = new Float64Array((n / seg) * 6);
      await m.mergeGram(null, 0, [x, y, z], Int32Array.of(2, 2, 2), seg, sums);
      h.update(out).update(new Uint8Array(sums.buffer));
    }
    console.log(h.digest('hex'));`;
  const run = (threads: string) => runWithThreads(script, threads);
  const one = run('1');
  assert.match(one, /^[0-9a-f]{64}$/);
  assert.is(run('2'), one, '2 threads');
  assert.is(run('3'), one, '3 threads');
});

test('mergeModelStock / mergeGram: a segment that does not divide the tensor is refused, naming the argument', async () => {
  if (!addon) return;
  const x = new Uint8Array(40);
  await Promise.resolve().then(() => addon.mergeModelStock(x, 0, [x, x], Int32Array.of(0, 0), 3, new Uint8Array(40), 0)).then(
    () => assert.unreachable('accepted'), (e: Error) => assert.match(e.message, "mergeModelStock: argument 'segment' must divide the element count 10, got 3"));
  await Promise.resolve().then(() => addon.mergeGram(null, 0, [x], Int32Array.of(0), 5, new Float64Array(1))).then(
    () => assert.unreachable('accepted'), (e: Error) => assert.match(e.message, "mergeGram: argument 'sums'"));
});

test.run();
