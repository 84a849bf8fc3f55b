// The streaming sweep against an independent recomputation: every row model and basis model run
// whole with the models' own forward(), row weights combined on the host, every metric computed
// from the full feature matrices in float64 (two-pass mean/std) — no accumulator code shared.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBackend } from '../src/backends/index.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { buildModel } from '../src/models/index.js';
import { forward } from '../src/models/forward.js';
import { explicitMatrix, interpolation, taskArithmetic } from '../src/sweep/coefficients.js';
import { allComparisonsPlan } from '../src/sweep/plan.js';
import { sampleIndices } from '../src/sweep/subsample.js';
import type { SweepProgress } from '../src/sweep/runner.js';
import { writeSafetensors } from '../src/io/writer.js';
import { runSweep } from '../src/sweep/runner.js';
import type { FloatTensor, Tensor } from '../src/tensor.js';
import { writeInputs, writeMlp } from './harness/synthetic.js';
import { counting } from './harness/tracking_backend.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-consist-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const widths = [6, 8, 7, 3];
const N = 5;

function hostCombine(basis: Map<string, Tensor>[], c: number[]): (name: string) => Tensor {
  return (name) => {
    const ts = basis.map((b) => b.get(name)! as FloatTensor);
    const out = new Float32Array(ts[0].data.length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      ts.forEach((t, j) => (s += c[j] * t.data[i]));
      out[i] = s;
    }
    return { dtype: 'float32', shape: ts[0].shape, data: out };
  };
}

/** All metrics of F vs G from the full matrices. */
function metrics(F: Float32Array, G: Float64Array, n: number) {
  const d = F.length / n;
  let dot = 0, ff = 0, gg = 0;
  const dist: number[] = [], coef: number[] = [], cos: number[] = [];
  for (let s = 0; s < n; s++) {
    let a = 0, b = 0, c = 0;
    for (let i = s * d; i < (s + 1) * d; i++) {
      a += F[i] * G[i];
      b += F[i] * F[i];
      c += G[i] * G[i];
    }
    dot += a; ff += b; gg += c;
    dist.push(1 - Math.abs(a) / Math.sqrt(b * c));
    coef.push(a / c);
    cos.push(a / Math.sqrt(b * c));
  }
  const mean = (x: number[]) => x.reduce((p, q) => p + q, 0) / x.length;
  const std = (x: number[]) => Math.sqrt(x.reduce((p, q) => p + (q - mean(x)) ** 2, 0) / (x.length - 1));
  return { dist: 1 - Math.abs(dot) / Math.sqrt(ff * gg), coef: dot / gg, distMean: mean(dist), distStd: std(dist), coefMean: mean(coef), coefStd: std(coef), cosMean: mean(cos) };
}

function lossAcc(logits: Float32Array, labels: number[], classes: number) {
  let loss = 0, correct = 0;
  labels.forEach((y, r) => {
    const z = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
    loss += lse - z[y];
    if (z.indexOf(Math.max(...z)) === y) correct++;
  });
  return { loss: loss / labels.length, accuracy: correct / labels.length };
}

const near = (a: number | null | undefined, b: number, what: string, tol = 1e-7) =>
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

async function check(mode: 'interpolate' | 'task') {
  const files = ['m0', 'm1', 'm2'].map((m) => path.join(dir, `${mode}_${m}.safetensors`));
  const hosts = await Promise.all(files.map((f, i) => writeMlp(f, widths, 10 + i)));
  const inputsFile = path.join(dir, `${mode}_inputs.safetensors`);
  const { inputs, labels } = await writeInputs(inputsFile, N, widths[0], widths[widths.length - 1], 7);
  const matrix = mode === 'interpolate' ? interpolation(files[0], files[1], [0, 0.3, 1, 1.5]) : taskArithmetic(files[0], files.slice(1), [0.25, 0.8]);
  const be = await createBackend('reference');
  const res = await runSweep({ matrix, inputs: inputsFile, config: { architecture: 'mlp' } }, { backend: be, batch: 2 });
  const ck = await openCheckpoint(files[0]);
  const model = buildModel(ck.tensors, { architecture: 'mlp' });
  await ck.close();
  const basisHosts = matrix.basis.map((f) => hosts[files.indexOf(f)]);
  const basisFeats = await Promise.all(basisHosts.map((h) => forward(be, model, (n) => h.get(n)!, inputs)));
  const y = Array.from(labels.data as BigInt64Array, Number);
  assert.equal(res.layers, model.hooks);
  assert.is(res.samples, N);
  for (let k = 0; k < matrix.k; k++) {
    const c = Array.from(matrix.data.subarray(k * matrix.m, (k + 1) * matrix.m));
    const feats = await forward(be, model, hostCombine(basisHosts, c), inputs);
    for (const hook of model.hooks) {
      const F = feats.get(hook)!.data;
      const G = new Float64Array(F.length);
      basisFeats.forEach((bf, j) => bf.get(hook)!.data.forEach((v, i) => (G[i] += c[j] * v)));
      const m = metrics(F, G, N);
      const got = res.rows[k].layers[hook];
      near(got.dist_alpha_int, m.dist, `row ${k} ${hook} dist`);
      near(got.coef_alpha_int, m.coef, `row ${k} ${hook} coef`);
      near(got.dist_alpha_int_over_samples_mean, m.distMean, 'dist mean');
      near(got.dist_alpha_int_over_samples_std, m.distStd, 'dist std');
      near(got.coef_alpha_int_over_samples_mean, m.coefMean, 'coef mean');
      near(got.coef_alpha_int_over_samples_std, m.coefStd, 'coef std');
      near(got.cos_alpha_int_over_samples_mean, m.cosMean, 'cos mean');
      if (mode === 'interpolate') {
        const fa = Float64Array.from(basisFeats[0].get(hook)!.data);
        const fb = Float64Array.from(basisFeats[1].get(hook)!.data);
        near(got.dist_alpha_A, metrics(F, fa, N).dist, 'dist_alpha_A');
        near(got.dist_alpha_B_over_samples_std, metrics(F, fb, N).distStd, 'dist_alpha_B std');
        const ab = metrics(basisFeats[0].get(hook)!.data, fb, N);
        near(res.baseline![hook].dist_A_B, ab.dist, 'dist_A_B');
        near(res.baseline![hook].coef_A_B_over_samples_mean, ab.coefMean, 'coef_A_B mean');
      }
    }
    const t = lossAcc(feats.get(model.logitsHook)!.data, y, widths[widths.length - 1]);
    near(res.rows[k].loss, t.loss, `row ${k} loss`);
    near(res.rows[k].accuracy, t.accuracy, `row ${k} accuracy`);
  }
  if (mode === 'interpolate') {
    const la = lossAcc(basisFeats[0].get(model.logitsHook)!.data, y, 3).loss;
    const lb = lossAcc(basisFeats[1].get(model.logitsHook)!.data, y, 3).loss;
    const curve = res.rows.map((r) => r.loss!);
    near(res.barrier!.loss.midpoint, Math.max(...curve) - (la + lb) / 2, 'midpoint barrier');
    near(res.barrier!.loss.weighted, Math.max(...curve.map((l, i) => l - (matrix.alphas![i] * la + (1 - matrix.alphas![i]) * lb))), 'weighted barrier');
  }
  assert.ok(res.peak_rss_bytes > 0);
  await be.dispose();
}

test('interpolation sweep equals a whole-forward host recomputation (rows, baselines, loss, barriers)', () => check('interpolate'));
test('task-arithmetic sweep over three models equals the host recomputation', () => check('task'));

test('comparisons as coefficient vectors: --compare all on a three-model matrix equals the host recomputation', async () => {
  const files = ['c0', 'c1', 'c2'].map((m) => path.join(dir, `${m}.safetensors`));
  const hosts = await Promise.all(files.map((f, i) => writeMlp(f, widths, 70 + i)));
  const inputsFile = path.join(dir, 'c_inputs.safetensors');
  const { inputs, labels } = await writeInputs(inputsFile, N, widths[0], widths[widths.length - 1], 11);
  const matrix = explicitMatrix([[0.2, 0.5, 0.3], [1.5, -1, 0.5]], files);
  matrix.plan = allComparisonsPlan(3);
  const be = await createBackend('reference');
  const res = await runSweep({ matrix, inputs: inputsFile, config: { architecture: 'mlp' } }, { backend: be, batch: 2 });
  const ck = await openCheckpoint(files[0]);
  const model = buildModel(ck.tensors, { architecture: 'mlp' });
  await ck.close();
  const basisFeats = await Promise.all(hosts.map((h) => forward(be, model, (n) => h.get(n)!, inputs)));
  const y = Array.from(labels.data as BigInt64Array, Number);
  const tags = ['A', 'B', 'C'];
  for (let k = 0; k < matrix.k; k++) {
    const c = Array.from(matrix.data.subarray(k * 3, (k + 1) * 3));
    const feats = await forward(be, model, hostCombine(hosts, c), inputs);
    for (const hook of model.hooks) {
      const F = feats.get(hook)!.data;
      const got = res.rows[k].layers[hook] as unknown as Record<string, number>;
      basisFeats.forEach((bf, j) => {
        const m = metrics(F, Float64Array.from(bf.get(hook)!.data), N);
        near(got[`dist_alpha_${tags[j]}`], m.dist, `row ${k} ${hook} vs ${tags[j]} dist`);
        near(got[`coef_alpha_${tags[j]}`], m.coef, `row ${k} ${hook} vs ${tags[j]} coef`);
        near(got[`dist_alpha_${tags[j]}_over_samples_std`], m.distStd, `row ${k} ${hook} vs ${tags[j]} dist std`);
        near(got[`cos_alpha_${tags[j]}_over_samples_mean`], m.cosMean, `row ${k} ${hook} vs ${tags[j]} cos`);
      });
    }
  }
  for (const [i, j] of [[0, 1], [0, 2], [1, 2]]) {
    for (const hook of model.hooks) {
      const m = metrics(basisFeats[i].get(hook)!.data, Float64Array.from(basisFeats[j].get(hook)!.data), N);
      const got = res.baseline![hook] as unknown as Record<string, number>;
      near(got[`dist_${tags[i]}_${tags[j]}`], m.dist, `${tags[i]} vs ${tags[j]} ${hook} dist`);
      near(got[`coef_${tags[i]}_${tags[j]}_over_samples_mean`], m.coefMean, `${tags[i]} vs ${tags[j]} ${hook} coef mean`);
    }
  }
  basisFeats.forEach((bf, j) => near(res.basis![j].loss, lossAcc(bf.get(model.logitsHook)!.data, y, 3).loss, `basis ${j} loss`));
  await be.dispose();
});

test('subsample, layer subset without labels, progress and a mid-run abort', async () => {
  const files = ['s0', 's1'].map((m) => path.join(dir, `${m}.safetensors`));
  await Promise.all(files.map((f, i) => writeMlp(f, widths, 30 + i)));
  const all = await writeInputs(path.join(dir, 's_all.safetensors'), 12, widths[0], 3, 8);
  // the same 5 samples written out by hand, without labels
  const idx = sampleIndices(12, 5, 42);
  assert.equal(Array.from(idx), Array.from(sampleIndices(12, 5, 42)), 'deterministic');
  assert.ok(idx.every((v, i) => i === 0 || v > idx[i - 1]), 'sorted, distinct');
  const x = all.inputs as FloatTensor;
  const sub = new Float32Array(5 * widths[0]);
  idx.forEach((r, i) => sub.set(x.data.subarray(r * widths[0], (r + 1) * widths[0]), i * widths[0]));
  await writeSafetensors(path.join(dir, 's_sub.safetensors'), { inputs: { dtype: 'float32', shape: [5, widths[0]], data: sub } });

  const be = await createBackend('reference');
  const matrix = explicitMatrix([[0.7, 0.3], [2, -1]], files);
  const events: SweepProgress[] = [];
  const viaSubsample = await runSweep(
    { matrix, inputs: path.join(dir, 's_all.safetensors'), samples: 5, seed: 42, layers: ['1'], config: { architecture: 'mlp' } },
    { backend: be, batch: 2 },
  );
  const byHand = await runSweep(
    { matrix, inputs: path.join(dir, 's_sub.safetensors'), layers: ['1'], config: { architecture: 'mlp' } },
    { backend: be, batch: 2, onProgress: (p) => events.push(p) },
  );
  assert.is(viaSubsample.mode, 'coefficients');
  assert.is(viaSubsample.samples, 5);
  assert.equal(viaSubsample.layers, ['1']);
  assert.equal(viaSubsample.rows[0].layers, byHand.rows[0].layers);
  assert.equal(viaSubsample.rows[1].layers, byHand.rows[1].layers);
  assert.ok(Number.isFinite(viaSubsample.rows[0].loss), 'the subsample keeps its labels');
  assert.is(byHand.rows[0].loss, undefined, 'no labels, no loss');
  // layer '1' only and no labels: stages 3 and 4 never run
  assert.ok(events.every((e) => e.layer === undefined || e.layer === '1'), JSON.stringify(events.map((e) => e.layer)));
  assert.is(events[0].phase, 'validate');
  assert.is(events[events.length - 1].phase, 'done');
  assert.equal(events.filter((e) => e.phase === 'forward' && e.layer === undefined).map((e) => e.samplesDone), [2, 4, 5]);
  assert.ok(events.some((e) => e.row === 1));

  const ctl = new AbortController();
  let seen = 0;
  try {
    await runSweep({ matrix, inputs: path.join(dir, 's_all.safetensors'), config: { architecture: 'mlp' } }, {
      backend: be,
      batch: 2,
      signal: ctl.signal,
      onProgress: (p) => {
        if (p.phase === 'forward' && ++seen === 3) ctl.abort(new Error('cancelled mid-run'));
      },
    });
    assert.unreachable('expected the abort');
  } catch (e) {
    assert.match((e as Error).message, /cancelled mid-run/);
  }
});

test('a row whose coefficients are a unit vector shares its basis model\'s forward pass', async () => {
  const files = ['u0', 'u1'].map((m) => path.join(dir, `${m}.safetensors`));
  await Promise.all(files.map((f, i) => writeMlp(f, widths, 50 + i)));
  await writeInputs(path.join(dir, 'u_in.safetensors'), 7, widths[0], 3, 9);
  const be = await createBackend('reference');
  const counted = counting(be);
  const run = async (rows: number[][]) => {
    counted.calls.length = 0;
    const res = await runSweep(
      { matrix: explicitMatrix(rows, files), inputs: path.join(dir, 'u_in.safetensors'), config: { architecture: 'mlp' } },
      { backend: counted.backend, batch: 4 },
    );
    return { res, calls: counted.calls.filter((p) => p === 'linear').length };
  };
  const one = await run([[0.5, 0.5]]);
  const three = await run([[1, 0], [0.5, 0.5], [0, 1]]);
  assert.is(three.calls, one.calls, 'the unit rows add no forward pass');
  assert.equal(three.res.rows[1].layers, one.res.rows[0].layers);
  for (const k of [0, 2]) {
    for (const l of three.res.layers) near(three.res.rows[k].layers[l].dist_alpha_int, 0, `row ${k} ${l}: F = G`, 1e-12);
  }
  // a coefficient that is not exactly 0 or 1 runs its own forward pass
  assert.ok((await run([[0.5, 0.5], [1, 1e-300]])).calls > one.calls);
  await be.dispose();
});

test.run();
