// ctlkit sweep / ctlkit merge through the built CLI: files written, numbers equal to the library's,
// one-line errors with exit code 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBackend } from '../src/backends/index.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { writeSafetensors } from '../src/io/writer.js';
import { averaging, explicitMatrix, interpolation, negation } from '../src/sweep/coefficients.js';
import { mergeCheckpoint } from '../src/merge/merge.js';
import { runSweep } from '../src/sweep/runner.js';
import type { SweepResults } from '../src/sweep/types.js';
import { fixture, repoRoot } from './harness/paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const mlp = (n: string) => fixture('sweeps', 'mlp', n);
const ctlkit = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('sweep --task-arithmetic --negate writes results.json and CSV equal to runSweep', async () => {
  const out = path.join(dir, 'neg.json');
  const csv = path.join(dir, 'neg.csv');
  const r = ctlkit('sweep', '--task-arithmetic', '--negate', '--base', mlp('pre.safetensors'), '--tasks', mlp('ft_a.safetensors'),
    '--lambdas', '0.5,1', '--inputs', mlp('inputs.safetensors'), '--backend', 'reference', '--batch', '3', '--out', out, '--csv', csv);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '', 'no progress output when stderr is not a TTY');
  assert.match(r.stdout, /8 samples, reference backend/);
  const cliRes = JSON.parse(readFileSync(out, 'utf8')) as SweepResults;
  const be = await createBackend('reference');
  const lib = await runSweep({ matrix: negation(mlp('pre.safetensors'), mlp('ft_a.safetensors'), [0.5, 1]), inputs: mlp('inputs.safetensors') }, { backend: be, batch: 3 });
  assert.equal(cliRes.rows, lib.rows);
  assert.is(cliRes.mode, 'negate');
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.is(lines.length, 1 + 2 * lib.layers.length);
  const header = lines[0].split(',');
  const row = lines[1].split(',');
  assert.is(Number(row[header.indexOf('dist_alpha_int')]), lib.rows[0].layers[lib.layers[0]].dist_alpha_int);
  assert.is(Number(row[header.indexOf('lambda')]), 0.5);
});

// the column names (official sub_linearity.csv ones plus the signed cosine), written out here
// rather than taken from the code under test
const perSample = (c: string) => [c, `${c}_over_samples_mean`, `${c}_over_samples_std`];
const csvColumns = [
  'row', 'alpha', 'lambda', 'coefficients', 'layer',
  ...['dist_A_B', 'coef_A_B', 'dist_alpha_A', 'dist_alpha_B', 'dist_alpha_int', 'coef_alpha_int'].flatMap(perSample),
  'cos_alpha_int_over_samples_mean', 'loss', 'accuracy',
];

/** Splits one CSV line (quoted cells may hold commas and doubled quotes). */
function csvCells(line: string): string[] {
  return [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => m[1].replace(/^"(.*)"$/, '$1').replaceAll('""', '"'));
}

test('sweep --interpolate: one CSV line per (row, layer), official column names, values equal to results.json', () => {
  const out = path.join(dir, 'interp.json');
  const csv = path.join(dir, 'interp.csv');
  const r = ctlkit('sweep', '--interpolate', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--alphas', '-0.5,0.5,1.5',
    '--inputs', mlp('inputs.safetensors'), '--backend', 'reference', '--out', out, '--csv', csv);
  assert.is(r.status, 0, r.stderr);
  const res = JSON.parse(readFileSync(out, 'utf8')) as SweepResults;
  const [head, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
  const header = csvCells(head);
  assert.equal([...header].sort(), [...csvColumns].sort());
  assert.is(lines.length, res.rows.length * res.layers.length);
  lines.forEach((line, i) => {
    const cells = csvCells(line);
    assert.is(cells.length, header.length, line);
    const k = Math.floor(i / res.layers.length);
    const layer = res.layers[i % res.layers.length];
    const row = res.rows[k];
    const get = (c: string) => cells[header.indexOf(c)];
    assert.is(Number(get('row')), k);
    assert.is(Number(get('alpha')), row.alpha);
    assert.is(get('layer'), layer);
    assert.is(get('coefficients'), row.coefficients.join(' '));
    const want: Record<string, unknown> = { ...res.baseline![layer], ...row.layers[layer], loss: row.loss, accuracy: row.accuracy };
    for (const [name, v] of Object.entries(want)) assert.is(get(name), v === null ? '' : String(v), `row ${k} ${layer} ${name}`);
  });
});

test('results.json has exactly the README\'s documented keys; every metric name is in the README', async () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = /### results\.json\s+```jsonc\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a results.json jsonc block');
  const doc = JSON.parse(block![1].replace(/\/\/.*$/gm, '')) as Record<string, unknown> & { rows: Record<string, unknown>[] };
  const be = await createBackend('reference');
  const inputs = mlp('inputs.safetensors');
  const interp = await runSweep({ matrix: interpolation(mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), [0.5]), inputs }, { backend: be });
  const avg = await runSweep({ matrix: averaging([mlp('ft_a.safetensors'), mlp('ft_b.safetensors')]), inputs }, { backend: be });
  const neg = await runSweep({ matrix: negation(mlp('pre.safetensors'), mlp('ft_a.safetensors'), [0.5]), inputs }, { backend: be });
  await be.dispose();
  const keys = (...os: object[]) => [...new Set(os.flatMap((o) => Object.keys(o)))].sort();
  assert.equal(keys(interp, avg, neg), keys(doc), 'top-level keys');
  // the README row shows "alpha" and names "lambda" in a comment
  assert.equal(keys(interp.rows[0], neg.rows[0]), keys(doc.rows[0], { lambda: 0 }), 'row keys');
  const sweeps = readme.slice(readme.indexOf('## Sweeps'));
  const metricNames = keys(interp.rows[0].layers['1'], interp.baseline!['1'], neg.rows[0].layers['1']);
  for (const name of metricNames) {
    const base = name.replace(/_over_samples_(mean|std)$/, '');
    assert.ok(sweeps.includes(`\`${name}\``) || sweeps.includes(`\`${base}\``), `README documents ${name}`);
  }
});

test('--labels / --label-key: labels from another file or key give the same loss as the inputs file\'s own', async () => {
  const src = await openCheckpoint(mlp('inputs.safetensors'));
  const [x, y] = [await src.read('inputs'), await src.read('labels')];
  await src.close();
  await writeSafetensors(path.join(dir, 'y.safetensors'), { y });
  await writeSafetensors(path.join(dir, 'xt.safetensors'), { inputs: x, targets: y });
  const sweep = (name: string, ...extra: string[]) => {
    const out = path.join(dir, `${name}.json`);
    const r = ctlkit('sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--backend', 'reference', '--out', out, ...extra);
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(readFileSync(out, 'utf8')) as SweepResults;
  };
  const own = sweep('own', '--inputs', mlp('inputs.safetensors'));
  assert.ok(Number.isFinite(own.rows[0].loss) && own.ensemble !== undefined);
  const other = sweep('other', '--inputs', mlp('inputs.safetensors'), '--labels', path.join(dir, 'y.safetensors'), '--label-key', 'y');
  const key = sweep('key', '--inputs', path.join(dir, 'xt.safetensors'), '--label-key', 'targets');
  const none = sweep('none', '--inputs', path.join(dir, 'xt.safetensors'));
  for (const r of [other, key]) {
    assert.is(r.rows[0].loss, own.rows[0].loss);
    assert.equal(r.ensemble, own.ensemble);
  }
  assert.is(none.rows[0].loss, undefined, 'no "labels" tensor and no --label-key: no loss');
});

test('--coefficients c.json --models: sweep rows and merge --row k follow the JSON matrix', async () => {
  const c = path.join(dir, 'c.json');
  writeFileSync(c, JSON.stringify({ coefficients: [[0.5, 0.5, 0], [2, -0.5, -0.5]] }));
  const models = ['pre', 'ft_a', 'ft_b'].map((m) => mlp(`${m}.safetensors`));
  const out = path.join(dir, 'coef.json');
  const r = ctlkit('sweep', '--coefficients', c, '--models', ...models, '--inputs', mlp('inputs.safetensors'), '--backend', 'reference', '--out', out);
  assert.is(r.status, 0, r.stderr);
  const res = JSON.parse(readFileSync(out, 'utf8')) as SweepResults;
  const be = await createBackend('reference');
  const lib = await runSweep({ matrix: explicitMatrix([[0.5, 0.5, 0], [2, -0.5, -0.5]], models), inputs: mlp('inputs.safetensors') }, { backend: be });
  await be.dispose();
  assert.is(res.mode, 'coefficients');
  assert.equal(res.models, models);
  assert.equal(res.rows, lib.rows);
  const merged = path.join(dir, 'row1.safetensors');
  const viaLib = path.join(dir, 'row1_lib.safetensors');
  const m = ctlkit('merge', '--coefficients', c, '--models', ...models, '--row', '1', '--out', merged);
  assert.is(m.status, 0, m.stderr);
  assert.match(m.stdout, /combined with \[2, -0\.5, -0\.5\]/);
  await mergeCheckpoint(models, [2, -0.5, -0.5], viaLib);
  assert.ok(readFileSync(merged).equals(readFileSync(viaLib)), 'byte-identical to mergeCheckpoint');
});

test('merge --interpolate --alpha 0.25 reproduces the PyTorch merge golden', async () => {
  const out = path.join(dir, 'merged.safetensors');
  const sw = (n: string) => fixture('sweeps', 'resnet', n);
  const r = ctlkit('merge', '--interpolate', sw('ft_a.safetensors'), sw('ft_b.safetensors'), '--alpha', '0.25', '--out', out);
  assert.is(r.status, 0, r.stderr);
  const [got, want] = [await openCheckpoint(out), await openCheckpoint(sw('merged_interpolate_alpha0.25.safetensors'))];
  for (const name of want.tensors.keys()) {
    assert.equal(Array.from((await got.read(name)).data as ArrayLike<unknown>), Array.from((await want.read(name)).data as ArrayLike<unknown>), name);
  }
  await Promise.all([got.close(), want.close()]);
});

test('sweep --compare all: each row vs every basis model and the basis pair, in results.json and the CSV', () => {
  const out = path.join(dir, 'all.json');
  const csv = path.join(dir, 'all.csv');
  const args = ['sweep', '--task-arithmetic', '--negate', '--base', mlp('pre.safetensors'), '--tasks', mlp('ft_a.safetensors'),
    '--lambdas', '0.5,1', '--inputs', mlp('inputs.safetensors'), '--backend', 'reference'];
  const r = ctlkit(...args, '--compare', 'all', '--out', out, '--csv', csv);
  assert.is(r.status, 0, r.stderr);
  const res = JSON.parse(readFileSync(out, 'utf8')) as SweepResults;
  const layer = res.layers[0];
  const m = res.rows[1].layers[layer] as unknown as Record<string, number>;
  for (const k of ['dist_alpha_int', 'dist_alpha_A', 'coef_alpha_A', 'dist_alpha_B', 'cos_alpha_B_over_samples_mean']) assert.type(m[k], 'number', k);
  assert.type((res.baseline![layer] as unknown as Record<string, number>).dist_A_B, 'number');
  assert.is(res.basis!.length, 2, 'each basis model\'s loss and accuracy');
  const header = readFileSync(csv, 'utf8').split('\n')[0].split(',');
  assert.ok(header.includes('coef_alpha_A') && header.includes('cos_alpha_B_over_samples_mean'), header.join(','));
  const bad = ctlkit(...args, '--compare', 'some');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /^ctlkit: --compare: expected default or all, got 'some'\n$/);
});

test('bad arguments: one-line errors, exit code 1', () => {
  const cases: [string[], RegExp][] = [
    [['sweep', '--interpolate', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--alphas', '', '--inputs', mlp('inputs.safetensors')], /^ctlkit: --alphas: empty grid/],
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--interpolate', 'x', 'y', '--inputs', 'i'], /^ctlkit: choose exactly one of .* \(got --interpolate, --average\)/],
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--inputs', mlp('inputs.safetensors'), '--layers', '1,9', '--backend', 'reference'], /^ctlkit: --layers: unknown layer '9'/],
    [['merge', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--out', path.join(dir, 'x.safetensors'), '--dtype', 'F64'], /^ctlkit: --dtype: expected F32, F16 or BF16/],
    [['merge', '--task-arithmetic', '--base', mlp('pre.safetensors'), '--tasks', mlp('ft_a.safetensors'), '--lambda', '0:1:3', '--out', path.join(dir, 'y.safetensors')], /single number/],
    // an option of another mode is an error, not silently ignored
    [['sweep', '--interpolate', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--lambdas', '0,1', '--inputs', mlp('inputs.safetensors')], /^ctlkit: --lambdas goes with --task-arithmetic/],
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--alphas', '0,1', '--inputs', mlp('inputs.safetensors')], /^ctlkit: --alphas goes with --interpolate/],
    [['sweep', '--negate', '--base', mlp('pre.safetensors'), '--tasks', mlp('ft_a.safetensors'), '--inputs', mlp('inputs.safetensors')], /^ctlkit: --negate goes with --task-arithmetic/],
    [['merge', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--models', mlp('ft_c.safetensors'), '--out', path.join(dir, 'z.safetensors')], /^ctlkit: --models goes with --coefficients/],
    [['merge', '--interpolate', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--out', path.join(dir, 'z.safetensors')], /^ctlkit: --interpolate: missing --alpha$/m],
    [['merge', '--interpolate', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--alpha', 'x', '--out', path.join(dir, 'z.safetensors')], /^ctlkit: --alpha: 'x' is not a finite number$/m],
    [['merge', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--row', '1', '--out', path.join(dir, 'z.safetensors')], /^ctlkit: --row goes with --coefficients/],
    // checked before the backend starts (auto may print adapter warnings and take time)
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--inputs', mlp('inputs.safetensors'), '--batch', '0', '--backend', 'auto'], /^ctlkit: --batch: expected a positive integer, got '0'$/m],
    // BF16 GEMMs are the native backend's alone
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--inputs', mlp('inputs.safetensors'), '--compute', 'bf16', '--backend', 'reference'], /^ctlkit: --compute bf16: only the native backend \(this is --backend reference\)$/m],
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--inputs', mlp('inputs.safetensors'), '--compute', 'f16', '--backend', 'native'], /^ctlkit: --compute: expected f32 or bf16, got 'f16'$/m],
    // an explicit --label-key makes the labels required
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--inputs', mlp('inputs.safetensors'), '--label-key', 'nope', '--backend', 'reference'], /inputs\.safetensors: .*"nope" \(the file holds "inputs", "labels"\)/],
  ];
  for (const [args, re] of cases) {
    const r = ctlkit(...args);
    assert.is(r.status, 1, args.join(' '));
    assert.match(r.stderr, re);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
