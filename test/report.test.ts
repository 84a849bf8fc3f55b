// The report: Vega-Lite plots rendered to SVG in Node carry the expected marks, and the page is self-contained.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderReport } from '../src/report/index.js';
import { coefSpec, compareSpec, heatmapSpec, lossErrorSpec, renderSvg } from '../src/report/plots.js';
import { cellTable, layerSummary } from '../src/report/table.js';
import { readResults } from '../src/cli/report.js';
import { writeFile } from 'node:fs/promises';
import { rejection } from './harness/errors.js';
import { fakeComparison, fakeInterpolation } from './harness/sweep_results.js';

const layers = ['1', '3', '4'];
const alphas = [0, 0.25, 0.5, 0.75, 1];
const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

test('heatmap: one rect per (layer, α), axis titles, viridis colours that vary', async () => {
  const svg = await renderSvg(heatmapSpec(fakeInterpolation(layers, alphas), 'heat'));
  assert.is(count(svg, /aria-roledescription="rect mark"/g), layers.length * alphas.length);
  assert.ok(svg.includes('>α</text>'), 'x axis title α');
  assert.ok(svg.includes('>layer</text>'), 'y axis title');
  assert.ok(svg.includes('>dist_alpha_int</text>'), 'legend title');
  const fills = new Set([...svg.matchAll(/rect mark" d="[^"]*" fill="([^"]+)"/g)].map((m) => m[1]));
  assert.ok(fills.size > 3, `cell colours vary (${fills.size})`);
});

test('loss/error: a line per metric, the straight reference and the barrier rule with its value', async () => {
  const svg = await renderSvg(lossErrorSpec(fakeInterpolation(layers, alphas), 'path') as never);
  assert.ok(svg.includes('>loss</text>') && svg.includes('>error</text>'), 'panel titles');
  assert.ok(svg.includes('barrier: weighted 0.500, midpoint 0.475'), 'loss barrier label');
  assert.ok(svg.includes('barrier: weighted 0.300, midpoint 0.300'), 'error barrier label');
  assert.ok(count(svg, /aria-roledescription="line mark"/g) >= 4, 'path and reference lines in both panels');
  assert.is(count(svg, /aria-roledescription="rule mark"/g), 2, 'one barrier rule per panel');
});

test('no barrier rule where the path stays under the chord; no loss/error plot without labels', async () => {
  const convex = fakeInterpolation(layers, alphas);
  for (const row of convex.rows) row.loss = 1 + (row.alpha as number) ** 2; // under the chord 1 + α
  const svg = await renderSvg(lossErrorSpec(convex, 'path') as never);
  assert.is(count(svg, /aria-roledescription="rule mark"/g), 1, 'only the error panel has a rule');
  const r = fakeInterpolation(layers, alphas);
  for (const row of r.rows) delete row.loss;
  assert.is(lossErrorSpec(r, 'x'), null);
});

test('coefficient curves: one line per layer; comparison: one bar per (layer, series)', async () => {
  const coef = await renderSvg(coefSpec(fakeInterpolation(layers, alphas), 'coef'));
  assert.is(count(coef, /aria-roledescription="line mark"/g), layers.length);
  assert.ok(coef.includes('>coef_alpha_int</text>'));
  const entries = fakeComparison(layers, alphas);
  const cmp = await renderSvg(compareSpec(entries, 'cmp'));
  assert.is(count(cmp, /aria-roledescription="bar"/g), layers.length * 4);
  assert.ok(cmp.includes('>control</text>') && cmp.includes('>dist_A_B</text>'), 'legends name the pairs and the metrics');
});

test('terminal summary: one line per layer with the values at α = 0.5', () => {
  const s = layerSummary(fakeInterpolation(layers, alphas));
  const text = cellTable(s.header, s.rows);
  const lines = text.split('\n');
  assert.is(lines.length, 2 + layers.length);
  assert.ok(lines[0].includes('dist_A_B') && lines[0].includes('dist_alpha_int (α=0.5)'));
  // layer '4' (index 2): dist = 0.1 · 3 · 0.25 = 0.075
  assert.ok(lines[4].startsWith('4 ') && lines[4].includes('0.0750'), lines[4]);
});

test('renderReport: one self-contained HTML page (no URL, no script) with every plot inlined', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ctl-report-'));
  try {
    const entries = fakeComparison(layers, alphas);
    const file = await renderReport(entries, dir, { title: 'test report' });
    assert.is(file, path.join(dir, 'index.html'));
    const html = await readFile(file, 'utf8');
    assert.not.match(html, /https?:/);
    assert.not.match(html, /<script|<link|<img|@import/i);
    // comparison + 2 × (heatmap, loss/error, coefficients)
    assert.is(count(html, /<svg /g), 1 + 2 * 3);
    assert.is(count(html, /aria-roledescription="rect mark"/g), 2 * layers.length * alphas.length);
    assert.ok(html.includes('<title>test report</title>'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('renderReport: an empty list is an error', async () => {
  assert.match(await rejection(renderReport([], os.tmpdir())), /no results/);
});

test('readResults: a file that is not results.json is an error naming the file and the field', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ctl-results-'));
  try {
    const cases: [string, string, RegExp][] = [
      ['broken.json', '{"rows": [', /broken\.json: not a readable results JSON/],
      ['nolayers.json', '{"mode": "interpolate", "rows": [{"layers": {}}]}', /nolayers\.json: expected a non-empty 'layers' array/],
      ['badrow.json', '{"mode": "interpolate", "layers": ["1"], "rows": [{"layers": {}}, {"alpha": 1}]}', /badrow\.json: row 1 has no 'layers' object/],
    ];
    for (const [name, text, re] of cases) {
      const file = path.join(dir, name);
      await writeFile(file, text);
      assert.match(await rejection(readResults(file)), re);
    }
    const good = path.join(dir, 'good.json');
    await writeFile(good, JSON.stringify(fakeInterpolation(layers, alphas)));
    assert.is((await readResults(good)).rows.length, alphas.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
