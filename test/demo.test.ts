// Smoke test of `ctlkit demo` on the bundled MLP (small grid, few samples): tables printed, one
// results JSON per sweep, the CSV and the HTML report written; end points of the path are the basis.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './harness/paths.js';
import type { SweepResults } from '../src/sweep/types.js';

test('demo --arch mlp writes results, CSV and report, and prints every table', async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'ctl-demo-'));
  try {
    const r = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'demo', '--arch', 'mlp', '--samples', '32', '--alphas', '0:1:3', '--lambdas', '0:1:2', '--backend', 'reference', '--out', out],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.is(r.status, 0, r.stderr);
    for (const heading of ['CTL per layer at α = 0.5', 'Barriers', 'Task arithmetic in feature space', 'logit ensemble']) {
      assert.ok(r.stdout.includes(heading), `printed "${heading}"`);
    }
    assert.ok(r.stderr.includes('[6/6] mlp_average'), 'plain progress lines off a TTY');
    const files = (await readdir(out)).sort();
    assert.equal(files, ['index.html', 'mlp_add.json', 'mlp_average.json', 'mlp_control.json', 'mlp_finetuned.json', 'mlp_negate.json', 'mlp_short.json', 'results.csv']);
    const ft = JSON.parse(await readFile(path.join(out, 'mlp_finetuned.json'), 'utf8')) as SweepResults;
    assert.equal(ft.layers, ['1', '3', '4']);
    assert.is(ft.samples, 32);
    assert.equal(ft.rows.map((row) => row.alpha), [0, 0.5, 1]);
    // α = 0 and α = 1 are the basis models themselves: their features equal the combined features
    for (const k of [0, 2]) for (const l of ft.layers) assert.ok(ft.rows[k].layers[l].dist_alpha_int < 1e-6, `row ${k} layer ${l}`);
    const csv = (await readFile(path.join(out, 'results.csv'), 'utf8')).trimEnd().split('\n');
    // rows × layers per sweep: 3 interpolations × 3 + add 2 + negate 2 + average 1, each × 3 layers
    assert.is(csv.length, 1 + (3 * 3 + 2 + 2 + 1) * 3);
    assert.ok(csv[0].startsWith('experiment,'));
    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    assert.ok((html.match(/<svg /g) ?? []).length >= 6 * 2);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test.run();
