// Property tests (fast-check) of the merge methods' algebra, through the library's method table
// (MERGE_METHODS from src/index.ts, each method's merge(job) exactly as merge() and the CLI run it),
// with each method's own defaults filled in as the plan does:
//   TIES, density 1, one model = task arithmetic (same normalize); DARE (linear / TIES), density 1 =
//   task arithmetic / TIES; slerp at t = 0 / 1 = its endpoints; model_stock over N equal task
//   vectors = that model; linear over identical models with weights summing to 1 = the identity;
//   plus one end-to-end run of merge() on files for the TIES = task arithmetic case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { MERGE_METHODS, merge } from '../src/index.js';
import type { ParamValue, TensorJob } from '../src/merge/methods/types.js';
import { writeSafetensors } from '../src/io/writer.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { tempDir } from './harness/crafted.js';

const RUNS = Number(process.env.CTLKIT_PROPERTY_RUNS ?? 300);

interface In { data: Float32Array; params?: Record<string, ParamValue> }

/** One tensor merged by `method` with its parameter defaults (as the plan fills them). */
function run(method: string, base: Float32Array | undefined, inputs: In[], global: Record<string, ParamValue> = {}, seed = 0): Float64Array {
  const m = MERGE_METHODS.get(method as never)!;
  assert.ok(m, method);
  const g: Record<string, ParamValue> = {};
  for (const p of m.params) if (p.default !== undefined) g[p.name] = p.default;
  const job: TensorJob = {
    name: 'model.layers.0.mlp.weight',
    shape: [(base ?? inputs[0].data).length],
    base,
    inputs: inputs.map((x, index) => {
      const params: Record<string, ParamValue> = {};
      for (const p of m.tensorParams) if (p.default !== undefined) params[p.name] = p.default;
      return { data: x.data, params: { ...params, ...x.params }, index };
    }),
    global: { ...g, ...global },
    seed,
  };
  return m.merge(job);
}

const vec = (n: number) => fc.float32Array({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true, minLength: n, maxLength: n });
/** A base and k models of one length (1..48). */
const models = (k: number) => fc.integer({ min: 1, max: 48 }).chain((n) => fc.tuple(vec(n), fc.array(vec(n), { minLength: k, maxLength: k })));
const weight = fc.oneof(fc.double({ min: 0.05, max: 2, noNaN: true }), fc.double({ min: -2, max: -0.05, noNaN: true }));
const lambda = fc.double({ min: -2, max: 2, noNaN: true });

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.is(got.length, want.length, what);
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= tol * (1 + Math.abs(want[i])))) assert.unreachable(`${what}: element ${i}: ${got[i]} vs ${want[i]} (|diff| ${d})`);
  }
}
const prop = (p: fc.IPropertyWithHooks<unknown> | fc.IAsyncPropertyWithHooks<unknown>, runs = RUNS) => fc.assert(p as fc.IProperty<unknown>, { numRuns: runs, seed: 20261204 });

test('TIES with density 1 and one model = task arithmetic (normalize on and off, any weight and λ)', () => {
  prop(fc.property(models(1), weight, lambda, fc.boolean(), fc.constantFrom<'mergekit' | 'paper'>('mergekit', 'paper'), ([base, [x]], w, l, normalize, election) => {
    const ties = run('ties', base, [{ data: x, params: { weight: w, density: 1 } }], { lambda: l, normalize, sign_election: election });
    const ta = run('task_arithmetic', base, [{ data: x, params: { weight: w } }], { lambda: l, normalize });
    close(ties, ta, 1e-12, 'ties vs task_arithmetic');
    // and it is θ_base + λ·w·δ (λ·δ normalized)
    const want = Float64Array.from(base, (b0, i) => b0 + l * (normalize ? 1 : w) * Math.fround(x[i] - b0));
    close(ties, want, 1e-9, 'ties vs the formula');
  }));
});

test('DARE with density 1 = task arithmetic (dare_linear) and = TIES (dare_ties), any seed', () => {
  prop(fc.property(models(3), fc.array(weight, { minLength: 3, maxLength: 3 }), lambda, fc.integer({ min: 0, max: 0xffffffff }), ([base, xs], ws, l, seed) => {
    const ins = (extra: Record<string, ParamValue>) => xs.map((data, j) => ({ data, params: { weight: ws[j], ...extra } }));
    const dl = run('dare_linear', base, ins({ density: 1 }), { lambda: l, rescale: true }, seed);
    const ta = run('task_arithmetic', base, ins({}), { lambda: l });
    close(dl, ta, 1e-12, 'dare_linear vs task_arithmetic');
    const dt = run('dare_ties', base, ins({ density: 1 }), { lambda: l }, seed);
    const ties = run('ties', base, ins({ density: 1 }), { lambda: l, normalize: false });
    close(dt, ties, 1e-12, 'dare_ties vs ties');
  }));
});

test('slerp at t = 0 gives the base, at t = 1 the other model (both branches: slerp and the lerp fallback)', () => {
  prop(fc.property(models(1), fc.boolean(), ([base, [x]], colinear) => {
    const other = colinear ? Float32Array.from(base, (v) => 2 * v) : x; // colinear: |cos| = 1 → lerp
    close(run('slerp', base, [{ data: other }], { t: 0 }), base, 1e-12, 't = 0');
    close(run('slerp', base, [{ data: other }], { t: 1 }), other, 1e-12, 't = 1');
  }));
});

test('model_stock over N equal task vectors gives that model (t = 1), also filter-wise', () => {
  const arb = fc.integer({ min: 2, max: 5 }).chain((N) => fc.tuple(fc.constant(N), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }))).chain(([N, rows, cols]) =>
    fc.tuple(fc.constant(N), fc.constant([rows, cols]), vec(rows * cols), vec(rows * cols)));
  prop(fc.property(arb, fc.boolean(), ([N, shape, base, d], filterWise) => {
    const x = Float32Array.from(base, (b0, i) => b0 + d[i]);
    const len = filterWise ? shape[1] : x.length;
    // every row (filter-wise) or the whole task vector needs a norm well above the 1e-6 clamp
    for (let o = 0; o < x.length; o += len) {
      let s = 0;
      for (let i = o; i < o + len; i++) s += (x[i] - base[i]) ** 2;
      fc.pre(s > 1e-4);
    }
    const m = MERGE_METHODS.get('model_stock')!;
    const out = m.merge({ name: 'w', shape, base, inputs: Array.from({ length: N }, (_, index) => ({ data: x, params: {}, index })), global: { filter_wise: filterWise }, seed: 0 });
    close(out, x, 1e-9, `model_stock N = ${N}`);
  }));
});

test('linear over identical models with weights summing to 1 is the identity (normalize off and on)', () => {
  const arb = fc.integer({ min: 1, max: 5 }).chain((k) => fc.tuple(vec(16), fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: k, maxLength: k })));
  prop(fc.property(arb, ([x, raw]) => {
    const last = 1 - raw.slice(1).reduce((a, b) => a + b, 0);
    const ws = [last, ...raw.slice(1)];
    const spread = ws.reduce((a, b) => a + Math.abs(b), 0);
    const out = run('linear', undefined, ws.map((w) => ({ data: x, params: { weight: w } })), { normalize: false });
    close(out, x, 1e-13 * (1 + spread), 'normalize off');
    const pos = ws.map(Math.abs).map((w) => w + 0.01);
    close(run('linear', undefined, pos.map((w) => ({ data: x, params: { weight: w } }))), x, 1e-13 * pos.length, 'normalize on');
  }));
});

test('end to end: merge() of a YAML config on files, TIES density 1 with one model = task arithmetic', async () => {
  const dir = tempDir();
  const write = async (name: string, data: Float32Array) => {
    fs.mkdirSync(path.join(dir, name));
    await writeSafetensors(path.join(dir, name, 'model.safetensors'), { 'model.layers.0.mlp.weight': { dtype: 'float32', shape: [data.length], data } });
  };
  let k = 0;
  await fc.assert(fc.asyncProperty(models(1), weight, lambda, async ([base, [x]], w, l) => {
    k++;
    await write(`base${k}`, base);
    await write(`x${k}`, x);
    const read = async (cfg: string, out: string): Promise<Float32Array> => {
      await merge(cfg, { out: path.join(dir, out), baseDir: dir, backend: 'reference', dtype: 'F32' });
      const ck = await openCheckpoint(path.join(dir, out));
      try {
        return (await ck.read('model.layers.0.mlp.weight')).data as Float32Array;
      } finally {
        await ck.close();
      }
    };
    const models = `base_model: base${k}\nparameters: {lambda: ${l}, normalize: false}\nmodels:\n  - {model: x${k}, parameters: {weight: ${w}, density: 1}}\n`;
    const ties = await read(`merge_method: ties\n${models}`, `ties${k}`);
    const ta = await read(`merge_method: task_arithmetic\n${models.replace(', density: 1', '')}`, `ta${k}`);
    assert.equal(Array.from(ties), Array.from(ta));
  }), { numRuns: 12, seed: 20261204 });
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
