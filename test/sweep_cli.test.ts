// ctlkit sweep / ctlkit merge through the built CLI: files written, numbers equal to the library's,
// one-line errors with exit code 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBackend } from '../src/backends/index.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { negation } from '../src/sweep/coefficients.js';
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

test('bad arguments: one-line errors, exit code 1', () => {
  const cases: [string[], RegExp][] = [
    [['sweep', '--interpolate', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--alphas', '', '--inputs', mlp('inputs.safetensors')], /^ctlkit: --alphas: empty grid/],
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--interpolate', 'x', 'y', '--inputs', 'i'], /^ctlkit: choose exactly one of .* \(got --interpolate, --average\)/],
    [['sweep', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--inputs', mlp('inputs.safetensors'), '--layers', '1,9', '--backend', 'reference'], /^ctlkit: --layers: unknown layer '9'/],
    [['merge', '--average', mlp('ft_a.safetensors'), mlp('ft_b.safetensors'), '--out', path.join(dir, 'x.safetensors'), '--dtype', 'F64'], /^ctlkit: --dtype: expected F32, F16 or BF16/],
    [['merge', '--task-arithmetic', '--base', mlp('pre.safetensors'), '--tasks', mlp('ft_a.safetensors'), '--lambda', '0:1:3', '--out', path.join(dir, 'y.safetensors')], /single number/],
  ];
  for (const [args, re] of cases) {
    const r = ctlkit(...args);
    assert.is(r.status, 1, args.join(' '));
    assert.match(r.stderr, re);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
