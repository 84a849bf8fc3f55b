// Sharded sweeps (issue 17): every mode on every family of the sweep goldens, split into N ∈ {1, 2,
// 3, 7} shards of samples (and into row shards), reduced, equals the unsharded run: numbers within
// 1e-12 relative (rounding-noise values within 1e-15 absolute; harness/shard_compare.ts), the worst
// printed. Partials go through JSON as they would through files. Uneven shards (more shards than
// chunks), shards of different counts that tile, and the refusals: a missing, duplicated, foreign,
// overlapping, tampered or foreign-format part, bad shard arguments.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../src/backends/index.js';
import type { Backend } from '../src/backends/backend.js';
import { averaging, explicitMatrix, interpolation, negation, taskArithmetic, type CoefficientMatrix } from '../src/sweep/coefficients.js';
import { allComparisonsPlan } from '../src/sweep/plan.js';
import { runSweep, type SweepSpec } from '../src/sweep/runner.js';
import { reduceSweeps } from '../src/sweep/reduce.js';
import { decodeValue, encodeValue, type SweepPartial } from '../src/sweep/partial.js';
import { parseShard, rowRange, sampleRange } from '../src/sweep/shard.js';
import { registerAccumulator, sameKind, stateNumbers, type Mergeable } from '../src/metrics/accumulator.js';
import { CompensatedSum, RunningMoments } from '../src/metrics/moments.js';
import type { SweepResults } from '../src/sweep/types.js';
import { openTestBackend } from './harness/backends.js';
import { fixture, repoRoot } from './harness/paths.js';
import { compareReduced, formatWorst, noWorst, type Worst } from './harness/shard_compare.js';
import path from 'node:path';

const FAMILIES = ['mlp', 'resnet', 'vit', 'gpt2'];
const MODES = ['interpolate', 'average', 'task-arithmetic', 'negate', 'coefficients'] as const;

function matrixOf(fam: string, mode: (typeof MODES)[number]): CoefficientMatrix {
  const f = (n: string) => fixture('sweeps', fam, `${n}.safetensors`);
  switch (mode) {
    case 'interpolate': return interpolation(f('ft_a'), f('ft_b'), [-0.25, 0, 0.5, 1]);
    case 'average': return averaging([f('ft_a'), f('ft_b'), f('ft_c')]);
    case 'task-arithmetic': return taskArithmetic(f('pre'), [f('ft_a'), f('ft_b')], [0, 0.5, 1]);
    case 'negate': return negation(f('pre'), f('ft_a'), [0.5, 1]);
    case 'coefficients': {
      const m = explicitMatrix([[0.5, 0.3, 0.2], [1, 0, 0], [-0.5, 1, 0.5]], [f('pre'), f('ft_a'), f('ft_b')]);
      m.plan = allComparisonsPlan(3); // every comparison kind: rows vs each basis model, basis pairs
      return m;
    }
  }
}

const viaJson = (p: SweepPartial): SweepPartial => JSON.parse(JSON.stringify(p)) as SweepPartial;

async function shards(spec: SweepSpec, be: Backend, batch: number, n: number, rows?: number): Promise<SweepPartial[]> {
  const parts: SweepPartial[] = [];
  for (let r = 0; r < (rows ?? 1); r++) {
    for (let i = 0; i < n; i++) {
      const share = { shard: { index: i, count: n }, ...(rows ? { rows: { index: r, count: rows } } : {}) };
      parts.push(viaJson(await runSweep(spec, { backend: be, batch, ...share })));
    }
  }
  return parts;
}

let ref: Backend;
const worstAll: Worst = noWorst();

const modes = suite('shard: every mode and family, N ∈ {1, 2, 3, 7}');
modes.before(async () => {
  ref = await createBackend('reference');
});
for (const fam of FAMILIES) {
  modes(`${fam}: every mode, N = 1, 2, 3, 7 shards of 8 one-sample chunks, reduced = unsharded`, async () => {
    const w = noWorst();
    for (const mode of MODES) {
      const spec: SweepSpec = { matrix: matrixOf(fam, mode), inputs: fixture('sweeps', fam, 'inputs.safetensors') };
      const full = await runSweep(spec, { backend: ref, batch: 1 });
      assert.is(full.mode, mode);
      for (const n of [1, 2, 3, 7]) {
        const parts = await shards(spec, ref, 1, n);
        assert.is(parts.reduce((s, p) => s + p.covers.samples.end - p.covers.samples.start, 0), 8);
        compareReduced(full, reduceSweeps(parts), `${fam} ${mode} N=${n}`, w);
        compareReduced(full, reduceSweeps(parts), '', worstAll);
      }
    }
    console.log(`  ${fam}: ${formatWorst(w)}`);
  });
}
modes('N = 1 is the unsharded run bit for bit', async () => {
  const spec: SweepSpec = { matrix: matrixOf('resnet', 'interpolate'), inputs: fixture('sweeps', 'resnet', 'inputs.safetensors') };
  const full = await runSweep(spec, { backend: ref, batch: 3 });
  const w = compareReduced(full, reduceSweeps(await shards(spec, ref, 3, 1)), 'N=1');
  assert.is(w.exact, w.numbers);
});
modes.after(() => console.log(`  all families and modes: ${formatWorst(worstAll)}`));
modes.run();

const uneven = suite('shard: uneven shards, row shards, mixed counts');
const mlpSpec = (): SweepSpec => ({ matrix: interpolation(fixture('sweeps', 'mlp', 'ft_a.safetensors'), fixture('sweeps', 'mlp', 'ft_b.safetensors'), [0, 0.25, 0.5, 0.75, 1]), inputs: fixture('sweeps', 'mlp', 'inputs.safetensors') });
uneven.before(async () => {
  ref = await createBackend('reference');
});
uneven('more shards than chunks: 7 shards of 3 chunks (4 empty), 12 shards of 8 samples', async () => {
  const spec = mlpSpec();
  for (const [batch, n] of [[3, 7], [1, 12]]) {
    const full = await runSweep(spec, { backend: ref, batch });
    const parts = await shards(spec, ref, batch, n);
    const empty = parts.filter((p) => p.covers.samples.start === p.covers.samples.end).length;
    assert.is(empty, n - Math.ceil(8 / batch), `batch ${batch}, ${n} shards: empty ones`);
    compareReduced(full, reduceSweeps(parts), `batch ${batch} N=${n}`);
    // in any order
    compareReduced(full, reduceSweeps([...parts].reverse()), `batch ${batch} N=${n} reversed`);
  }
});
uneven('shards are whole chunks: shard K/N of C chunks is [⌊KC/N⌋, ⌊(K+1)C/N⌋) chunks', () => {
  assert.equal([0, 1, 2].map((k) => sampleRange(10, 3, { index: k, count: 3 })), [{ start: 0, end: 3 }, { start: 3, end: 6 }, { start: 6, end: 10 }]);
  assert.equal(sampleRange(8, 3, { index: 0, count: 7 }), { start: 0, end: 0 });
  assert.equal(sampleRange(8, 3, { index: 6, count: 7 }), { start: 6, end: 8 });
  assert.equal(rowRange(5, { index: 1, count: 2 }), { start: 2, end: 5 });
});
uneven('--rows: 3 row shards, and a grid of 2 row shards × 3 sample shards', async () => {
  const spec = mlpSpec();
  const full = await runSweep(spec, { backend: ref, batch: 2 });
  const rowsOnly: SweepPartial[] = [];
  for (let r = 0; r < 3; r++) rowsOnly.push(viaJson(await runSweep(spec, { backend: ref, batch: 2, rows: { index: r, count: 3 } })));
  compareReduced(full, reduceSweeps(rowsOnly), 'rows 3');
  compareReduced(full, reduceSweeps(await shards(spec, ref, 2, 3, 2)), 'rows 2 × shards 3');
});
uneven('shards of different counts that tile the samples (0/2 + 2/4 + 3/4) reduce; overlapping ones are refused', async () => {
  const spec = mlpSpec();
  const full = await runSweep(spec, { backend: ref, batch: 1 });
  const run = async (index: number, count: number) => viaJson(await runSweep(spec, { backend: ref, batch: 1, shard: { index, count } }));
  const [a, b, c] = [await run(0, 2), await run(2, 4), await run(3, 4)];
  compareReduced(full, reduceSweeps([a, b, c]), 'mixed');
  const d = await run(1, 3);
  assert.throws(() => reduceSweeps([a, d, c], { names: ['a.json', 'd.json', 'c.json'] }), /d\.json: samples \[2, 4\) of row 0 are covered by a\.json too/);
});
uneven('labels and a subsample: --samples 5 --seed 3 shards to the same results', async () => {
  const spec: SweepSpec = { ...mlpSpec(), samples: 5, seed: 3 };
  const full = await runSweep(spec, { backend: ref, batch: 2 });
  assert.is(full.samples, 5);
  compareReduced(full, reduceSweeps(await shards(spec, ref, 2, 2)), 'subsample');
});
uneven.run();

const refusals = suite('shard: refusals, one line naming the part');
let parts3: SweepPartial[];
const names3 = ['part_0.json', 'part_1.json', 'part_2.json'];
refusals.before(async () => {
  ref = await createBackend('reference');
  parts3 = await shards(mlpSpec(), ref, 2, 3);
});
const oneLine = (fn: () => unknown, re: RegExp) => {
  try {
    fn();
  } catch (e) {
    const m = (e as Error).message;
    assert.not.match(m, /\n/);
    assert.match(m, re);
    return;
  }
  assert.unreachable(`expected an error matching ${re}`);
};
refusals('a missing part names the shard and its samples', () => {
  oneLine(() => reduceSweeps([parts3[0], parts3[2]], { names: [names3[0], names3[2]] }), /^missing part: --shard 1\/3 \(samples \[2, 4\), rows \[0, 5\)\) is not among the 2 parts$/);
});
refusals('a part given twice', () => {
  oneLine(() => reduceSweeps([...parts3, parts3[1]], { names: [...names3, 'copy_of_1.json'] }), /^copy_of_1\.json: duplicates part_1\.json \(both are --shard 1\/3\)$/);
});
refusals('a part of another sweep: other alphas, other models, other layers, other selection, other inputs', async () => {
  const f = (n: string) => fixture('sweeps', 'mlp', n);
  const base = mlpSpec();
  const other = async (spec: SweepSpec) => viaJson(await runSweep(spec, { backend: ref, batch: 2, shard: { index: 1, count: 3 } }));
  const cases: [SweepSpec, RegExp][] = [
    [{ ...base, matrix: interpolation(f('ft_a.safetensors'), f('ft_b.safetensors'), [0, 0.5, 1]) }, /coefficient matrix or plan/],
    [{ ...base, matrix: interpolation(f('ft_a.safetensors'), f('ft_c.safetensors'), [0, 0.25, 0.5, 0.75, 1]) }, /basis model 1 is .*ft_c\.safetensors, not .*ft_b\.safetensors/],
    [{ ...base, layers: ['1', '3'] }, /layers \["1","3"\], not \["1","3","4"\]/],
    [{ ...base, samples: 8, seed: 1 }, /sample selection/],
    [{ ...base, inputs: fixture('sweeps', 'mlp', 'inputs.safetensors'), labels: { dtype: 'int32', shape: [8], data: new Int32Array(8) } }, /inputs/],
  ];
  for (const [spec, re] of cases) {
    const odd = await other(spec);
    oneLine(() => reduceSweeps([parts3[0], odd, parts3[2]], { names: [names3[0], 'odd.json', names3[2]] }), new RegExp(`^odd\\.json: a part of a different sweep than part_0\\.json \\(.*${re.source}`));
  }
  // the odd one out is named even when it comes first
  const odd = await other(cases[0][0]);
  oneLine(() => reduceSweeps([odd, parts3[0], parts3[1], parts3[2]], { names: ['odd.json', ...names3] }), /^odd\.json: a part of a different sweep than part_0\.json/);
});
refusals('a batch size that differs is another sweep (the shards are chunks of it)', async () => {
  const odd = viaJson(await runSweep(mlpSpec(), { backend: ref, batch: 4, shard: { index: 1, count: 3 } }));
  oneLine(() => reduceSweeps([parts3[0], odd, parts3[2]], { names: [names3[0], 'odd.json', names3[2]] }), /\(batch size 4, not 2\)$/);
});
refusals('not a partial, a tampered share, a tampered state', () => {
  oneLine(() => reduceSweeps([{ rows: [] } as unknown as SweepPartial], { names: ['results.json'] }), /^results\.json: not a ctlkit sweep partial/);
  const cut = viaJson(parts3[1]);
  cut.covers.samples.end = 6;
  oneLine(() => reduceSweeps([parts3[0], cut, parts3[2]], { names: names3 }), /^part_1\.json: covers samples \[2, 6\), but shard 1\/3 covers \[2, 4\)$/);
  const bad = viaJson(parts3[1]);
  const acc = ((bad.state.rows as unknown[][])[0][0] as { $map: [string, { state: { dist: { n: number } } }][] }).$map[0][1];
  acc.state.dist.n = -1;
  oneLine(() => reduceSweeps([parts3[0], bad, parts3[2]], { names: names3 }), /^part_1\.json state\.rows\[0\]\[0\]\.1 dist: state field 'n' is -1, expected a count/);
  const v = viaJson(parts3[1]);
  (v as { version: number }).version = 99;
  oneLine(() => reduceSweeps([v], { names: ['v.json'] }), /^v\.json: partial version 99, this ctlkit reads version 1$/);
});
refusals('shard arguments: K/N, auto/N from $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX', () => {
  assert.equal(parseShard('2/7', '--shard', {}), { index: 2, count: 7 });
  assert.equal(parseShard('auto/8', '--shard', { SLURM_ARRAY_TASK_ID: '5' }), { index: 5, count: 8 });
  assert.equal(parseShard('auto/8', '--shard', { JOB_COMPLETION_INDEX: '7' }), { index: 7, count: 8 });
  assert.equal(parseShard('auto/8', '--shard', { JOB_COMPLETION_INDEX: '3', SLURM_ARRAY_TASK_ID: '3' }), { index: 3, count: 8 });
  oneLine(() => parseShard('3/3', '--shard', {}), /^--shard: shard index must be an integer in 0\.\.2, got 3$/);
  oneLine(() => parseShard('1/0', '--shard', {}), /shard count must be a positive integer, got 0/);
  oneLine(() => parseShard('a/b', '--shard', {}), /^--shard: expected K\/N/);
  oneLine(() => parseShard('auto/4', '--shard', {}), /needs \$SLURM_ARRAY_TASK_ID or \$JOB_COMPLETION_INDEX to be set/);
  oneLine(() => parseShard('auto/4', '--shard', { SLURM_ARRAY_TASK_ID: '1', JOB_COMPLETION_INDEX: '2' }), /disagree/);
  oneLine(() => parseShard('auto/4', '--shard', { SLURM_ARRAY_TASK_ID: '4' }), /index must be an integer in 0\.\.3, got 4/);
  oneLine(() => parseShard('auto/4', '--shard', { SLURM_ARRAY_TASK_ID: 'x' }), /is 'x', expected a non-negative integer/);
});
refusals('more row shards than rows is refused before anything runs', async () => {
  try {
    await runSweep(mlpSpec(), { backend: ref, rows: { index: 0, count: 6 } });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /^--rows 0\/6: the sweep has only 5 rows; use at most 5 row shards$/);
  }
});
refusals.run();

const format = suite('shard: the partial format takes any registered accumulator');
class MaxAccumulator implements Mergeable {
  readonly kind = 'test-max';
  max = -Infinity;
  n = 0;
  toState() {
    return { max: this.max, n: this.n };
  }
  merge(other: Mergeable) {
    const o = sameKind(this, other);
    this.max = Math.max(this.max, o.max);
    this.n += o.n;
  }
}
format('a new kind: saved as kind + state, rebuilt and merged; an unregistered class is refused by name', () => {
  registerAccumulator('test-max', (state, where) => {
    const a = new MaxAccumulator();
    const s = state as { max: unknown };
    a.max = s.max === null ? -Infinity : stateNumbers(state, ['max'], where).max;
    a.n = stateNumbers(state, ['n'], where, ['n']).n;
    return a;
  });
  const a = new MaxAccumulator();
  [a.max, a.n] = [3, 2];
  const b = new MaxAccumulator();
  [b.max, b.n] = [5, 1];
  const saved = JSON.parse(JSON.stringify(encodeValue({ rowMax: [new Map([['layer', a]])] }, 'state'))) as unknown;
  assert.equal(saved, { rowMax: [{ $map: [['layer', { $acc: 'test-max', state: { max: 3, n: 2 } }]] }] });
  const back = decodeValue(saved, 'part.json') as { rowMax: Map<string, MaxAccumulator>[] };
  const acc = back.rowMax[0].get('layer')!;
  assert.ok(acc instanceof MaxAccumulator);
  acc.merge(b);
  assert.equal([acc.max, acc.n], [5, 3]);
  assert.throws(() => encodeValue({ x: new Date(0) }, 'state'), /^state\.x: cannot save a Date in a partial \(not a registered accumulator/);
  assert.throws(() => decodeValue({ $acc: 'nope', state: {} }, 'p.json state.x'), /^p\.json state\.x: unknown accumulator kind 'nope'/);
});
format.run();

const moments = suite('shard: moments and sums merge to the exact values');
// values 1 + k·2⁻⁴⁰ (exact in float64) with integer k: the exact mean and variance follow from
// integer sums, an independent reference; a std of ~1e−10 around a mean of 1
const ks = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 2001) - 1000);
const xs = ks.map((k) => 1 + k * 2 ** -40);
const exactMean = 1 + (ks.reduce((s, k) => s + k, 0) / ks.length) * 2 ** -40;
const sk = ks.reduce((s, k) => s + k, 0);
const sk2 = ks.reduce((s, k) => s + k * k, 0);
const exactStd = Math.sqrt((sk2 - (sk * sk) / ks.length) / (ks.length - 1)) * 2 ** -40;
moments('Welford about the first value, sequential and merged in any grouping, = the exact std within 1e-13', () => {
  const seq = new RunningMoments();
  xs.forEach((x) => seq.push(x));
  assert.ok(Math.abs(seq.std! - exactStd) <= 1e-13 * exactStd, `sequential ${seq.std} vs ${exactStd}`);
  assert.ok(Math.abs(seq.mean - exactMean) <= 2 ** -52, 'mean');
  for (const cuts of [[1], [500], [3, 10, 999], [100, 200, 300, 400, 900]]) {
    const bounds = [0, ...cuts, xs.length];
    const groups = bounds.slice(1).map((end, i) => {
      const m = new RunningMoments();
      xs.slice(bounds[i], end).forEach((x) => m.push(x));
      return RunningMoments.fromState(JSON.parse(JSON.stringify(m.toState())), 'moments');
    });
    const merged = groups.reduce((acc, g) => (acc.merge(g), acc));
    assert.ok(Math.abs(merged.std! - exactStd) <= 1e-13 * exactStd, `cuts ${cuts}: ${merged.std} vs ${exactStd}`);
    assert.is(merged.count, xs.length);
  }
  const e = new RunningMoments();
  e.merge(new RunningMoments());
  assert.is(e.count, 0);
  assert.is(e.std, null);
});
moments('compensated sums: the total does not depend on the grouping', () => {
  const vals = Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
  const whole = new CompensatedSum();
  vals.forEach((v) => whole.add(v));
  for (const g of [2, 3, 7, 64]) {
    const sums = Array.from({ length: g }, () => new CompensatedSum());
    vals.forEach((v, i) => sums[Math.floor((i * g) / vals.length)].add(v));
    const m = sums.reduce((a, s) => (a.merge(s), a));
    assert.is(m.value, whole.value, `${g} groups`);
  }
});
moments.run();

const bundled = suite('shard: the bundled MLP (256 samples, labels) on the native backend');
bundled('interpolate 0:1:11, batch 32 (8 chunks): N = 1, 2, 3, 7, 11 (3 empty) and 2 × 3 with row shards', async () => {
  const be = await openTestBackend('native', 'sweep_shard bundled');
  if (!be) return;
  try {
    const ex = (n: string) => path.join(repoRoot, 'examples', 'mlp', n);
    const spec: SweepSpec = { matrix: interpolation(ex('ft_a.safetensors'), ex('ft_b.safetensors'), '0:1:11'), inputs: ex('eval_a.safetensors') };
    const full: SweepResults = await runSweep(spec, { backend: be, batch: 32 });
    const w = noWorst();
    for (const n of [1, 2, 3, 7, 11]) compareReduced(full, reduceSweeps(await shards(spec, be, 32, n)), `N=${n}`, w);
    compareReduced(full, reduceSweeps(await shards(spec, be, 32, 3, 2)), 'rows 2 × 3', w);
    console.log(`  bundled MLP, native: ${formatWorst(w)}`);
  } finally {
    await be.dispose();
  }
});
bundled.run();
