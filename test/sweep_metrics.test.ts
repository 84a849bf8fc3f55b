// Every --metric (the released code's six dissimilarities) against tools/metric_goldens.py, which
// re-implements dissimilarity.py's formulas in float64 on the reference backend's own features of
// each sweep (tools/dump_metric_features.mjs): on the reference backend, within 1e-9 absolute; the
// pooled metrics' Gram matrices cross chunks (batch 3 over 8 samples). On native and WebGPU the
// features themselves differ at float32 rounding, so there the bound is 2e-5. Also: one metric
// gives the flat released names and "metric"; no --metric is today's output; the memory refusal.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import type { Backend, BackendName } from '../src/backends/backend.js';
import { runSweep } from '../src/sweep/runner.js';
import type { SweepResults } from '../src/sweep/types.js';
import { METRIC_NAMES, type MetricName } from '../src/metrics/metric_names.js';
import { openTestBackend } from './harness/backends.js';
import { fixture } from './harness/paths.js';
import { METRIC_CASES, metricCaseInputs, metricCaseMatrix, type MetricCase } from './harness/metric_cases.js';

type Fields = Record<string, number | null>;
interface Golden {
  samples: number;
  layers: string[];
  metrics: Record<MetricName, { rows: Record<string, Fields>[]; baseline?: Record<string, Fields> }>;
}

function compareFields(got: Fields | undefined, want: Fields, tol: number, where: string): void {
  assert.ok(got, `${where}: missing`);
  assert.equal(Object.keys(got!), Object.keys(want), `${where}: field names and order`);
  for (const [k, w] of Object.entries(want)) {
    const g = got![k];
    if (w === null) assert.is(g, null, `${where} ${k}`);
    else assert.ok(typeof g === 'number' && Math.abs(g - w) <= tol, `${where} ${k}: ${g} vs ${w} (|Δ| ${typeof g === 'number' ? Math.abs(g - w) : '-'} > ${tol})`);
  }
}

const layerOf = (f: unknown, metric: MetricName): Fields => (f as { metrics: Record<string, Fields> }).metrics[metric];

function compareAll(res: SweepResults, g: Golden, tol: number, label: string): void {
  assert.equal(res.metrics, [...METRIC_NAMES]);
  assert.is(res.metric, undefined);
  for (const metric of METRIC_NAMES) {
    const want = g.metrics[metric];
    want.rows.forEach((row, k) => {
      for (const hook of g.layers) compareFields(layerOf(res.rows[k].layers[hook], metric), row[hook], tol, `${label} ${metric} row ${k} ${hook}`);
    });
    if (want.baseline) for (const hook of g.layers) compareFields(layerOf(res.baseline![hook], metric), want.baseline[hook], tol, `${label} ${metric} baseline ${hook}`);
  }
}

const families = readdirSync(fixture('metric_sweeps'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const golden = (family: string, c: MetricCase): Golden => JSON.parse(readFileSync(fixture('metric_sweeps', family, `${c}.json`), 'utf8')) as Golden;

for (const name of ['reference', 'native', 'webgpu'] as BackendName[]) {
  const s = suite<{ backend?: Backend }>(`sweep metrics (${name})`, {});
  s.before(async (ctx) => {
    ctx.backend = (await openTestBackend(name, 'sweep metrics')) ?? undefined;
  });
  s.after(async (ctx) => {
    await ctx.backend?.dispose();
  });
  const tol = name === 'reference' ? 1e-9 : 2e-5;
  for (const family of families) {
    for (const c of METRIC_CASES) {
      if (name === 'webgpu' && c === 'task_all') continue; // lavapipe is slow: one case per family
      s(`${family} ${c}: every metric`, async (ctx) => {
        if (!ctx.backend) return;
        const g = golden(family, c);
        const res = await runSweep({ matrix: metricCaseMatrix(family, c), inputs: metricCaseInputs(family), metrics: [...METRIC_NAMES] }, { backend: ctx.backend, batch: 3 });
        assert.equal(res.layers, g.layers);
        compareAll(res, g, tol, `${family}/${c} (${name})`);
      });
    }
  }
  s.run();
}

const r = suite<{ backend?: Backend }>('sweep metrics: layout and limits', {});
r.before(async (ctx) => {
  ctx.backend = (await openTestBackend('reference', 'sweep metrics')) ?? undefined;
});
r.after(async (ctx) => {
  await ctx.backend?.dispose();
});

r('one metric: "metric" and the released names in place', async (ctx) => {
  for (const metric of ['lin_cka', 'abs_div', 'procrustes'] as MetricName[]) {
    const g = golden('resnet', 'interpolate');
    const res = await runSweep({ matrix: metricCaseMatrix('resnet', 'interpolate'), inputs: metricCaseInputs('resnet'), metrics: [metric] }, { backend: ctx.backend!, batch: 5 });
    assert.is(res.metric, metric);
    assert.is(res.metrics, undefined);
    g.metrics[metric].rows.forEach((row, k) => {
      for (const hook of g.layers) compareFields(res.rows[k].layers[hook] as unknown as Fields, row[hook], 1e-9, `${metric} row ${k} ${hook}`);
    });
    for (const hook of g.layers) compareFields(res.baseline![hook] as unknown as Fields, g.metrics[metric].baseline![hook], 1e-9, `${metric} baseline ${hook}`);
  }
});

r('no --metric: today\'s cosine output, no metric key; --metric cosine: the same fields', async (ctx) => {
  const spec = { matrix: metricCaseMatrix('mlp', 'interpolate'), inputs: metricCaseInputs('mlp') };
  const plain = await runSweep(spec, { backend: ctx.backend!, batch: 3 });
  const named = await runSweep({ ...spec, metrics: ['cosine'] }, { backend: ctx.backend!, batch: 3 });
  assert.ok(!('metric' in plain) && !('metrics' in plain));
  assert.is(named.metric, 'cosine');
  const strip = (x: SweepResults) => JSON.stringify({ ...x, metric: undefined, elapsed_seconds: 0, peak_rss_bytes: 0 });
  assert.is(strip(named), strip(plain));
});

r('pooled metrics beyond --max-memory: refused at the first chunk with the formula', async (ctx) => {
  const spec = { matrix: metricCaseMatrix('mlp', 'interpolate'), inputs: metricCaseInputs('mlp'), metrics: ['lin_cka'] as MetricName[] };
  let err: Error | undefined;
  try {
    await runSweep(spec, { backend: ctx.backend!, batch: 3, maxMemory: 4096 });
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, 'expected a refusal');
  assert.match(err!.message, /--max-memory: the pooled metrics \(lin_cka\) at layer 1 need .*N = 8, D = 33/);
  // abs_div and vanilla keep nothing per sample: the same limit is fine
  await runSweep({ ...spec, metrics: ['abs_div', 'vanilla'] }, { backend: ctx.backend!, batch: 3, maxMemory: 4096 });
});

r.run();

const c = suite('sweep metrics: CLI pieces');
c('--max-memory sizes; --metric lists', async () => {
  const { parseBytes } = await import('../src/cli/sweep.js');
  const { parseMetrics } = await import('../src/metrics/metric_names.js');
  assert.is(parseBytes('8G', '--max-memory'), 8 * 2 ** 30);
  assert.is(parseBytes('512MiB', '--max-memory'), 512 * 2 ** 20);
  assert.is(parseBytes('1000', '--max-memory'), 1000);
  assert.throws(() => parseBytes('lots', '--max-memory'), /--max-memory: expected a size/);
  assert.equal(parseMetrics('lin_cka, cosine'), ['lin_cka', 'cosine']);
  assert.throws(() => parseMetrics('cka'), /--metric: unknown metric 'cka'/);
  assert.throws(() => parseMetrics('vanilla,vanilla'), /given twice/);
});
c('several metrics in the CSV: <metric>.<field> columns', async () => {
  const { resultsToCsv } = await import('../src/sweep/csv.js');
  const be = (await openTestBackend('reference', 'sweep metrics'))!;
  try {
    const res = await runSweep({ matrix: metricCaseMatrix('mlp', 'interpolate'), inputs: metricCaseInputs('mlp'), metrics: ['lin_cka', 'vanilla'] }, { backend: be, batch: 4 });
    const [header, first] = resultsToCsv(res).split('\n').map((l) => l.split(','));
    const at = header.indexOf('lin_cka.dist_alpha_int');
    assert.ok(at > 0 && header.includes('vanilla.dist_alpha_int_over_samples_std'));
    assert.is(Number(first[at]), (res.rows[0].layers['1'] as unknown as { metrics: Record<string, Fields> }).metrics.lin_cka.dist_alpha_int);
  } finally {
    await be.dispose();
  }
});
c.run();
