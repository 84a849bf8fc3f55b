// Checkpoint rows (`ctlkit sweep --merged NAME=PATH:TARGET`, withCheckpointRows): a row whose weights
// are read from a checkpoint of its own, compared with a coefficient vector over the basis. Proven by
// (1) a checkpoint holding exactly a coefficient row's weights giving that row's metrics, (2) a TIES
// merge (src/merge) of two finetunes as a row vs the task-arithmetic coefficients equal to a host
// recomputation (forward on the merged checkpoint, the metrics by hand in float64), with rows whose
// target is a unit vector or whose first stage is linear in its weights, so that a shortcut for linear
// rows would show; (3) the refusals; sharded runs reduced equal to the unsharded one, the row's header
// in the identity; the CLI. On the reference and native backends (ResNet fixture: its first stage, a
// convolution, is linear in its weights).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Backend } from '../src/backends/backend.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { writeSafetensors } from '../src/io/writer.js';
import { merge } from '../src/merge/run.js';
import { forward } from '../src/models/forward.js';
import { buildModel } from '../src/models/index.js';
import { loadModelConfig } from '../src/models/config.js';
import { checkpointRowMatrix, withCheckpointRows } from '../src/sweep/checkpoint_rows.js';
import { explicitMatrix, taskArithmetic } from '../src/sweep/coefficients.js';
import { allComparisonsPlan } from '../src/sweep/plan.js';
import { reduceSweeps } from '../src/sweep/reduce.js';
import { runSweep, type SweepSpec } from '../src/sweep/runner.js';
import type { SweepPartial } from '../src/sweep/partial.js';
import type { SweepResults } from '../src/sweep/types.js';
import { parseMergedRow } from '../src/cli/checkpoint_row_args.js';
import type { FloatTensor, Tensor } from '../src/tensor.js';
import { openTestBackend } from './harness/backends.js';
import { fixture, repoRoot } from './harness/paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-ckrows-'));
const res = (n: string) => fixture('sweeps', 'resnet', n);
const [PRE, A, B] = ['pre', 'ft_a', 'ft_b'].map((n) => res(`${n}.safetensors`));
const INPUTS = res('inputs.safetensors');
const file = (n: string) => path.join(dir, n);

async function readAll(p: string): Promise<Map<string, Tensor>> {
  const c = await openCheckpoint(p);
  try {
    const out = new Map<string, Tensor>();
    for (const name of c.tensors.keys()) out.set(name, await c.read(name));
    return out;
  } finally {
    await c.close();
  }
}

/** Σ_j c_j θ_j on the host in float64, rounded once to float32; integer tensors from the first model. */
function hostCombination(basis: Map<string, Tensor>[], c: readonly number[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t0] of basis[0]) {
    if (t0.dtype !== 'float32') {
      out.set(name, t0);
      continue;
    }
    const data = new Float32Array(t0.data.length);
    for (let i = 0; i < data.length; i++) {
      let s = 0;
      basis.forEach((b, j) => (s += c[j] * (b.get(name) as FloatTensor).data[i]));
      data[i] = s;
    }
    out.set(name, { dtype: 'float32', shape: t0.shape, data });
  }
  return out;
}

/** The CTL fields of F vs G from the full feature matrices, in float64 (two-pass mean / std). */
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
  return {
    dist_alpha_int: 1 - Math.abs(dot) / Math.sqrt(ff * gg), coef_alpha_int: dot / gg,
    dist_alpha_int_over_samples_mean: mean(dist), dist_alpha_int_over_samples_std: std(dist),
    coef_alpha_int_over_samples_mean: mean(coef), coef_alpha_int_over_samples_std: std(coef),
    cos_alpha_int_over_samples_mean: mean(cos),
  };
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

const near = (got: unknown, want: number, what: string, tol: number) =>
  assert.ok(typeof got === 'number' && Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: ${String(got)} vs ${want}`);

/** Every number of the row's layers (any comparison) within tol of `want`'s, the same fields. */
function sameMetrics(got: SweepResults['rows'][number], want: SweepResults['rows'][number], what: string, tol: number): void {
  for (const [hook, w] of Object.entries(want.layers)) {
    const g = got.layers[hook] as unknown as Record<string, number | null>;
    assert.equal(Object.keys(g).sort(), Object.keys(w).sort(), `${what} ${hook}: fields`);
    for (const [k, v] of Object.entries(w as unknown as Record<string, number | null>)) {
      if (v === null) assert.is(g[k], null, `${what} ${hook} ${k}`);
      else near(g[k], v, `${what} ${hook} ${k}`, tol);
    }
  }
  near(got.loss, want.loss!, `${what} loss`, tol);
  assert.is(got.accuracy, want.accuracy, `${what} accuracy`);
}

let tiesDir = '';
let tiesWeights: Map<string, Tensor>;
const basisWeights: Map<string, Tensor>[] = [];

const setup = async () => {
  if (tiesDir) return;
  for (const p of [PRE, A, B]) basisWeights.push(await readAll(p));
  // the plumbing rows' checkpoints: a coefficient row's weights, ft_a's and ft_b's exactly, ft_a in BF16
  await writeSafetensors(file('combo.safetensors'), hostCombination(basisWeights, [0.2, 0.5, 0.3]));
  await writeSafetensors(file('copy_a.safetensors'), basisWeights[1]);
  await writeSafetensors(file('copy_b.safetensors'), basisWeights[2]);
  await writeSafetensors(file('a_bf16.safetensors'), basisWeights[1], { dtype: 'BF16' });
  // TIES of the two finetunes over pre (mergekit's defaults but normalize: false, so that with weight
  // 0.5 each it is task arithmetic at λ = 0.5 after trimming and sign election)
  tiesDir = file('ties_out');
  await merge({
    merge_method: 'ties', base_model: PRE, parameters: { normalize: false },
    models: [{ model: A, parameters: { weight: 0.5, density: 0.4 } }, { model: B, parameters: { weight: 0.5, density: 0.4 } }],
    dtype: 'float32',
  }, { out: tiesDir, backend: 'reference' });
  tiesWeights = await readAll(tiesDir);
};

const rowsSuite = (name: 'reference' | 'native') => {
  const s = suite(`checkpoint rows (${name})`);
  let be: Backend | null = null;
  s.before(async () => {
    await setup();
    be = await openTestBackend(name, `checkpoint rows (${name})`);
  });
  s.after(async () => be?.dispose());

  s('(1) a checkpoint holding a coefficient row\'s weights gives that row\'s metrics (every comparison, loss)', async () => {
    if (!be) return;
    const linear = explicitMatrix([[0.2, 0.5, 0.3], [0, 1, 0]], [PRE, A, B]);
    linear.plan = allComparisonsPlan(3);
    const matrix = withCheckpointRows(linear, [
      { name: 'combo', path: file('combo.safetensors'), coefficients: [0.2, 0.5, 0.3] },
      { name: 'copy_a', path: file('copy_a.safetensors'), coefficients: [0, 1, 0] },
      { name: 'a_bf16', path: file('a_bf16.safetensors'), coefficients: [0, 1, 0] },
    ]);
    const r = await runSweep({ matrix, inputs: INPUTS }, { backend: be, batch: 3 });
    assert.is(r.rows.length, 5);
    assert.is(r.rows[2].name, 'combo');
    assert.is(r.rows[2].checkpoint, file('combo.safetensors'));
    assert.is(r.rows[0].name, undefined);
    assert.equal(r.rows[2].coefficients, [0.2, 0.5, 0.3]);
    // the backend forms the coefficient row in float32, the file was rounded once from float64
    sameMetrics(r.rows[2], r.rows[0], 'combo vs coefficient row', 1e-5);
    // ft_a's own weights, run from its own file (not shared with basis B's features): the same numbers
    sameMetrics(r.rows[3], r.rows[1], 'copy_a vs unit row', 1e-12);
    // --metric: the other dissimilarities read the row's features and its target the same way
    const withMetrics = await runSweep({ matrix, inputs: INPUTS, metrics: ['cosine', 'abs_div', 'lin_cka', 'procrustes'] }, { backend: be, batch: 3 });
    for (const hook of r.layers) {
      const of = (k: number) => (withMetrics.rows[k].layers[hook] as unknown as { metrics: Record<string, Record<string, number | null>> }).metrics;
      for (const [metric, fields] of Object.entries(of(0))) {
        for (const [key, v] of Object.entries(fields)) if (v !== null) near(of(2)[metric][key], v, `--metric ${metric} ${hook} ${key}`, 1e-5);
      }
    }
    // any float dtype: ft_a rounded to BF16 is close to ft_a, not equal
    for (const hook of r.layers) {
      const d = r.rows[4].layers[hook].dist_alpha_int;
      assert.ok(d > 0 && d < 1e-3, `a_bf16 ${hook}: dist ${d}`);
    }
  });

  s('(2) a TIES merge as a row vs the task-arithmetic coefficients equals the host recomputation', async () => {
    if (!be) return;
    // TIES really is not the λ = 0.5 task-arithmetic model
    const ta = hostCombination(basisWeights, [0, 0.5, 0.5]);
    const w = tiesWeights.get('conv1.weight') as FloatTensor, t = ta.get('conv1.weight') as FloatTensor;
    assert.ok(w.data.some((v, i) => Math.abs(v - t.data[i]) > 1e-3), 'TIES differs from task arithmetic');
    const matrix = withCheckpointRows(taskArithmetic(PRE, [A, B], [0.5]), [
      { name: 'ties', path: tiesDir, lambda: 0.5 },
      // a unit target (basis B = ft_a) and a target that is not the row's weights: no shortcut may apply
      { name: 'ties_vs_a', path: tiesDir, coefficients: [0, 1, 0] },
      { name: 'b_vs_a', path: file('copy_b.safetensors'), coefficients: [0, 1, 0] },
    ]);
    matrix.plan = allComparisonsPlan(3);
    const r = await runSweep({ matrix, inputs: INPUTS }, { backend: be, batch: 3 });
    assert.equal(r.rows.map((x) => x.name), [undefined, 'ties', 'ties_vs_a', 'b_vs_a']);
    assert.equal(r.rows.map((x) => x.lambda), [0.5, 0.5, undefined, undefined]);
    assert.equal(r.rows[1].coefficients, [0, 0.5, 0.5]);
    // the host: every model run whole on the reference backend's forward, the metrics by hand
    const host = (await openTestBackend('reference', 'host'))!;
    const ck = await openCheckpoint(PRE);
    const model = buildModel(ck.tensors, await loadModelConfig(PRE));
    await ck.close();
    const inputs = (await readAll(INPUTS)).get('inputs')!;
    const labels = Array.from((await readAll(INPUTS)).get('labels')!.data as BigInt64Array, Number);
    const n = inputs.shape[0];
    const basisF = await Promise.all(basisWeights.map((bw) => forward(host, model, (nm) => bw.get(nm)!, inputs)));
    const rowF = [];
    for (const wts of [tiesWeights, tiesWeights, basisWeights[2]]) rowF.push(await forward(host, model, (nm) => wts.get(nm)!, inputs));
    let farthest = 0;
    for (let k = 1; k < 4; k++) {
      const F = rowF[k - 1];
      const v = r.rows[k].coefficients;
      for (const hook of r.layers) {
        const f = F.get(hook)!.data;
        const G = new Float64Array(f.length);
        basisF.forEach((bf, j) => bf.get(hook)!.data.forEach((x, i) => (G[i] += v[j] * x)));
        const want = metrics(f, G, n);
        const got = r.rows[k].layers[hook] as unknown as Record<string, number>;
        for (const [key, value] of Object.entries(want)) near(got[key], value, `${r.rows[k].name} ${hook} ${key}`, 1e-6);
        // vs each basis model (--compare all): F vs f(θ_j)
        basisF.forEach((bf, j) => near(got[`dist_alpha_${'ABC'[j]}`], metrics(f, Float64Array.from(bf.get(hook)!.data), n).dist_alpha_int, `${r.rows[k].name} ${hook} vs ${j}`, 1e-6));
        if (k === 1) farthest = Math.max(farthest, want.dist_alpha_int - r.rows[0].layers[hook].dist_alpha_int);
      }
      const t = lossAcc(F.get(model.logitsHook)!.data, labels, 5);
      near(r.rows[k].loss, t.loss, `${r.rows[k].name} loss`, 1e-6);
      assert.is(r.rows[k].accuracy, t.accuracy);
    }
    // the basis streamed per stage and the last stage's rows reduced one at a time: the same numbers
    const streamed = await runSweep({ matrix, inputs: INPUTS }, { backend: be, batch: 3, memory: { basisCacheBytes: 1, featureBytes: 1 } });
    streamed.rows.forEach((row, k) => sameMetrics(row, r.rows[k], `streamed row ${k}`, 1e-12));
    assert.ok(farthest > 1e-3, `TIES's features are farther from the linear combination than task arithmetic's at some layer (${farthest})`);
    // b_vs_a is ft_b against ft_a: the basis pair's distance, not 0 (a shared unit row would give 0)
    for (const hook of r.layers) {
      near(r.rows[3].layers[hook].dist_alpha_int, (r.baseline![hook] as unknown as Record<string, number>).dist_B_C, `b_vs_a ${hook}`, 1e-9);
      assert.ok(r.rows[3].layers[hook].dist_alpha_int > 1e-6);
    }
    await host.dispose();
  });

  s('sharded (samples × rows) and reduced equals the unsharded sweep; the row checkpoint\'s header is in the identity', async () => {
    if (!be) return;
    const row = file(`ties_copy_${name}.safetensors`);
    await writeSafetensors(row, tiesWeights);
    const matrix = withCheckpointRows(taskArithmetic(PRE, [A, B], [0.25, 0.5]), [{ name: 'ties', path: row, lambda: 0.5 }]);
    const spec: SweepSpec = { matrix, inputs: INPUTS };
    const share = (i: number, r: number) => ({ backend: be!, batch: 2, shard: { index: i, count: 2 }, rows: { index: r, count: 3 } });
    const whole = await runSweep(spec, { backend: be, batch: 2 });
    const parts: SweepPartial[] = [];
    for (let r = 0; r < 3; r++) for (let i = 0; i < 2; i++) parts.push(JSON.parse(JSON.stringify(await runSweep(spec, share(i, r)))));
    const ids = parts[0].identity.checkpointRows!;
    assert.equal(ids.map((x) => [x.row, x.path]), [[2, row]]);
    assert.match(ids[0].header, /^[0-9a-f]{64}$/);
    const reduced = reduceSweeps(parts);
    assert.equal(reduced.rows.map((x) => [x.name, x.checkpoint, x.lambda]), whole.rows.map((x) => [x.name, x.checkpoint, x.lambda]));
    reduced.rows.forEach((r, k) => sameMetrics(r, whole.rows[k], `reduced row ${k}`, 1e-12));
    // the same path now holding the merge in F16 (another header): a part of another sweep
    await writeSafetensors(row, tiesWeights, { dtype: 'F16' });
    const foreign = JSON.parse(JSON.stringify(await runSweep(spec, share(1, 2)))) as SweepPartial;
    assert.throws(() => reduceSweeps([...parts.slice(0, 5), foreign]), /different sweep .*\(checkpoint row 2 \(.*ties_copy_\w+\.safetensors\) has a different header\)/);
    // a sweep without checkpoint rows keeps the identity it had: no checkpointRows field
    const plain = await runSweep({ matrix: taskArithmetic(PRE, [A, B], [0.5]), inputs: INPUTS }, { backend: be, batch: 2, shard: { index: 0, count: 2 } });
    assert.not.ok('checkpointRows' in plain.identity);
  });
  return s;
};

const refusals = suite('checkpoint rows: refusals');
refusals.before(setup);

refusals('incompatible checkpoint (the tensor and shapes named), wrong coefficient count, missing file, bad targets', async () => {
  const be = (await openTestBackend('reference', 'refusals'))!;
  const wrong = new Map(basisWeights[1]);
  wrong.set('fc.weight', { dtype: 'float32', shape: [4, 10], data: new Float32Array(40) });
  await writeSafetensors(file('wrong_shape.safetensors'), wrong);
  const missing = new Map(basisWeights[1]);
  missing.delete('fc.bias');
  await writeSafetensors(file('missing_tensor.safetensors'), missing);
  const ta = taskArithmetic(PRE, [A, B], [0.5]);
  const run = (rows: Parameters<typeof withCheckpointRows>[1]) => runSweep({ matrix: withCheckpointRows(ta, rows), inputs: INPUTS }, { backend: be, batch: 4 });
  const rejects = async (p: Promise<unknown>, re: RegExp) => {
    try {
      await p;
    } catch (e) {
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable(`expected ${re}`);
  };
  await rejects(run([{ name: 'bad', path: file('wrong_shape.safetensors'), lambda: 0.5 }]),
    /checkpoint row 'bad' \(.*wrong_shape\.safetensors\) does not fit the basis: tensor 'fc\.weight' has shape \[5, 10\] in .*pre\.safetensors but \[4, 10\] in .*wrong_shape\.safetensors/);
  await rejects(run([{ name: 'gap', path: file('missing_tensor.safetensors'), lambda: 0.5 }]), /checkpoint row 'gap' .*tensor 'fc\.bias' is in .*pre\.safetensors but missing from .*missing_tensor/);
  await rejects(run([{ name: 'none', path: file('no_such.safetensors'), lambda: 0.5 }]), /no_such\.safetensors: cannot open checkpoint/);
  assert.throws(() => withCheckpointRows(ta, [{ name: 'ties', path: tiesDir, coefficients: [0.5, 0.5] }]), /checkpoint row 'ties': 2 coefficients, expected 3 \(one per basis model: .*pre\.safetensors, .*ft_a\.safetensors, .*ft_b\.safetensors\)/);
  assert.throws(() => withCheckpointRows(ta, [{ name: 'ties', path: tiesDir, alpha: 0.5 }]), /alpha=… is the interpolate mode's row; this sweep is task-arithmetic/);
  assert.throws(() => withCheckpointRows(ta, [{ name: 'ties', path: tiesDir }]), /give exactly one comparison target/);
  assert.throws(() => withCheckpointRows(ta, [{ name: 'ties', path: tiesDir, lambda: 0.5, coefficients: [0, 1, 0] }]), /got coefficients and lambda/);
  assert.throws(() => withCheckpointRows(ta, [{ name: 't', path: tiesDir, lambda: 0.5 }, { name: 't', path: tiesDir, lambda: 1 }]), /'t': the name is given twice/);
  assert.throws(() => withCheckpointRows(ta, [{ name: 't', path: tiesDir, coefficients: [0, NaN, 1] }]), /coefficient 1 is NaN/);
  assert.throws(() => checkpointRowMatrix([PRE, A], []), /none given/);
  // nothing ran: the errors come from headers and arguments
  await be.dispose();
});

refusals('--merged syntax: NAME=PATH:TARGET parsed (a path may hold ":" and "="), bad values named', () => {
  assert.equal(parseMergedRow('ties=out/ties:lambda=0.5'), { name: 'ties', path: 'out/ties', lambda: 0.5 });
  assert.equal(parseMergedRow('d=a:b=c.safetensors:1,0.5, -0.5'), { name: 'd', path: 'a:b=c.safetensors', coefficients: [1, 0.5, -0.5] });
  assert.equal(parseMergedRow('s=x:alpha=0.25'), { name: 's', path: 'x', alpha: 0.25 });
  assert.throws(() => parseMergedRow('out/ties'), /--merged 'out\/ties': expected NAME=PATH:TARGET/);
  assert.throws(() => parseMergedRow('t=out/ties'), /expected NAME=PATH:TARGET/);
  assert.throws(() => parseMergedRow('t=out:'), /expected NAME=PATH:TARGET/);
  assert.throws(() => parseMergedRow('t=out:1,x'), /--merged 't=out:1,x' coefficients: 'x' is not a finite number/);
  assert.throws(() => parseMergedRow('t=out:lamda=0.5'), /unknown target 'lamda='/);
});

const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const ctlkit = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

refusals('ctlkit sweep --merged: results.json names the row, --models alone, CSV columns, one-line errors', async () => {
  const out = file('cli.json'), csv = file('cli.csv');
  const r = ctlkit('sweep', '--task-arithmetic', '--base', PRE, '--tasks', A, B, '--lambdas', '0.5', '--merged', `ties=${tiesDir}:lambda=0.5`,
    '--inputs', INPUTS, '--backend', 'reference', '--batch', '3', '--out', out, '--csv', csv);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^1 ties +0\.5 /m);
  const got = JSON.parse(readFileSync(out, 'utf8')) as SweepResults;
  assert.equal(got.rows.map((x) => [x.name, x.checkpoint, x.lambda]), [[undefined, undefined, 0.5], ['ties', tiesDir, 0.5]]);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines[0].split(',').slice(-2), ['name', 'checkpoint']);
  assert.ok(lines[lines.length - 1].endsWith(`,"ties","${tiesDir}"`), lines[lines.length - 1]);
  // the same through the library
  const be = (await openTestBackend('reference', 'cli'))!;
  const lib = await runSweep({ matrix: withCheckpointRows(taskArithmetic(PRE, [A, B], [0.5]), [{ name: 'ties', path: tiesDir, lambda: 0.5 }]), inputs: INPUTS }, { backend: be, batch: 3 });
  await be.dispose();
  assert.equal(got.rows.map((x) => x.layers), lib.rows.map((x) => x.layers));
  // only checkpoint rows over --models
  const alone = ctlkit('sweep', '--models', PRE, A, B, '--merged', `ties=${tiesDir}:0,0.5,0.5`, '--merged', `b=${B}:0,1,0`, '--inputs', INPUTS, '--backend', 'reference', '--out', file('alone.json'));
  assert.is(alone.status, 0, alone.stderr);
  const a2 = JSON.parse(readFileSync(file('alone.json'), 'utf8')) as SweepResults;
  assert.is(a2.mode, 'coefficients');
  assert.equal(a2.rows.map((x) => x.name), ['ties', 'b']);
  assert.equal(a2.rows[0].layers, got.rows[1].layers);
  const fails: [string[], RegExp][] = [
    [['--task-arithmetic', '--base', PRE, '--tasks', A, B, '--merged', `t=${tiesDir}:1,0`], /^ctlkit: --merged: checkpoint row 't': 2 coefficients, expected 3/],
    [['--task-arithmetic', '--base', PRE, '--tasks', A, B, '--merged', `t=${file('nope')}:lambda=1`], /^ctlkit: --merged t: .*nope: cannot open checkpoint/],
    [['--task-arithmetic', '--base', PRE, '--tasks', A, B, '--merged', `t=${file('wrong_shape.safetensors')}:lambda=1`], /^ctlkit: checkpoint row 't' .*tensor 'fc\.weight' has shape \[5, 10\]/],
    [['--models', PRE, A], /--models goes with --coefficients c\.json, or alone \(no mode\) with --merged/],
    [['--merged', `t=${tiesDir}:lambda=1`], /choose exactly one of .* or --models with --merged/],
  ];
  for (const [args, re] of fails) {
    const f = ctlkit('sweep', ...args, '--inputs', INPUTS, '--backend', 'reference');
    assert.is(f.status, 1, `${args.join(' ')}: ${f.stdout}`);
    assert.match(f.stderr.trim(), re);
    assert.is(f.stderr.trim().split('\n').length, 1, f.stderr);
  }
});

refusals.after(() => rmSync(dir, { recursive: true, force: true }));

rowsSuite('reference').run();
rowsSuite('native').run();
refusals.run();
