// Every family's sweep goldens (tools/gen_fixtures.py, an independent PyTorch implementation of the
// BRIEF formulas) against runSweep: dist/cos within 1e-6 absolute, coef within 1e-5 relative (a
// coef std relative to its mean),
// loss/accuracy/barriers/ensemble within 1e-5 relative. The reference backend always runs; native
// and WebGPU run when createBackend can make them (a printed skip otherwise).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Backend, BackendName } from '../src/backends/backend.js';
import { openTestBackend } from './harness/backends.js';
import { averaging, interpolation, negation, taskArithmetic, type CoefficientMatrix } from '../src/sweep/coefficients.js';
import { runSweep } from '../src/sweep/runner.js';
import type { SweepResults } from '../src/sweep/types.js';
import { fixture } from './harness/paths.js';

interface Golden {
  mode: string;
  models: string[];
  coefficients: number[][];
  alphas?: number[];
  lambdas?: number[];
  layers: string[];
  samples: number;
  rows: { coefficients: number[]; loss: number; accuracy: number; layers: Record<string, Record<string, number | null>> }[];
  baseline?: Record<string, Record<string, number | null>>;
  barrier?: Record<'loss' | 'error', Record<'midpoint' | 'weighted', number>>;
  ensemble?: { loss: number; accuracy: number };
  basis?: { loss: number; accuracy: number }[];
}

function matrixFor(g: Golden, dir: string): CoefficientMatrix {
  const p = g.models.map((m) => fixture('sweeps', dir, m));
  switch (g.mode) {
    case 'interpolate':
      return interpolation(p[0], p[1], g.alphas!);
    case 'average':
      return averaging(p);
    case 'task-arithmetic':
      return taskArithmetic(p[0], p.slice(1), g.lambdas!);
    case 'negate':
      return negation(p[0], p[1], g.lambdas!);
    default:
      throw new Error(`golden ${dir}: unknown mode ${g.mode}`);
  }
}

function relClose(got: number | undefined, want: number, what: string, tol = 1e-5): void {
  assert.ok(got !== undefined && Math.abs(got - want) <= tol * Math.max(Math.abs(want), 1e-12), `${what}: ${got} vs ${want}`);
}

/** dist/cos: 1e-6 absolute; coef: 1e-5 relative; std null exactly where the golden has null. */
function compareMetrics(got: Record<string, unknown>, want: Record<string, number | null>, where: string): void {
  for (const [name, w] of Object.entries(want)) {
    const g = got[name] as number | null | undefined;
    const what = `${where} ${name}`;
    if (w === null) {
      assert.is(g, null, what);
    } else if (name.startsWith('coef_')) {
      // a std of coefficients near 1 is a spread at float32 noise level: its error scales with the
      // coefficients themselves, so it is judged relative to the matching mean
      const mean = name.endsWith('_std') ? Math.abs(want[name.replace(/_std$/, '_mean')] ?? 0) : 0;
      assert.ok(typeof g === 'number' && Math.abs(g - w) <= 1e-5 * Math.max(Math.abs(w), mean, 1e-6), `${what}: ${g} vs ${w}`);
    } else {
      assert.ok(typeof g === 'number' && Math.abs(g - w) <= 1e-6, `${what}: ${g} vs ${w}`);
    }
  }
}

function compare(res: SweepResults, g: Golden, m: CoefficientMatrix, label: string): void {
  assert.equal(res.layers, g.layers, `${label} layers`);
  assert.is(res.samples, g.samples);
  assert.is(res.rows.length, g.rows.length);
  g.coefficients.forEach((row, k) => row.forEach((c, j) => assert.ok(Math.abs(m.data[k * m.m + j] - c) < 1e-12, `${label} C[${k},${j}]`)));
  g.rows.forEach((want, k) => {
    const got = res.rows[k];
    relClose(got.loss, want.loss, `${label} row ${k} loss`);
    relClose(got.accuracy, want.accuracy, `${label} row ${k} accuracy`);
    for (const hook of g.layers) compareMetrics(got.layers[hook] as unknown as Record<string, unknown>, want.layers[hook], `${label} row ${k} ${hook}`);
  });
  if (g.baseline) {
    for (const hook of g.layers) compareMetrics(res.baseline![hook] as unknown as Record<string, unknown>, g.baseline[hook], `${label} baseline ${hook}`);
  }
  if (g.barrier) {
    for (const kind of ['loss', 'error'] as const) {
      for (const def of ['midpoint', 'weighted'] as const) {
        const want = g.barrier[kind][def];
        const got = res.barrier![kind][def];
        // error barriers are exact multiples of 1/N; a zero barrier must come out zero
        assert.ok(Math.abs(got - want) <= 1e-5 * Math.abs(want) + 1e-12, `${label} barrier ${kind} ${def}: ${got} vs ${want}`);
      }
    }
  }
  if (g.ensemble) {
    relClose(res.ensemble!.loss, g.ensemble.loss, `${label} ensemble loss`);
    relClose(res.ensemble!.accuracy, g.ensemble.accuracy, `${label} ensemble accuracy`);
    g.basis!.forEach((b, j) => {
      relClose(res.basis![j].loss, b.loss, `${label} basis ${j} loss`);
      relClose(res.basis![j].accuracy, b.accuracy, `${label} basis ${j} accuracy`);
    });
  }
}

const families = readdirSync(fixture('sweeps'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const goldenFiles = ['interpolate', 'average', 'task_arithmetic', 'negate'];

for (const name of ['reference', 'native', 'webgpu'] as BackendName[]) {
  const s = suite<{ backend?: Backend }>(`sweep goldens (${name})`, {});
  s.before(async (ctx) => {
    ctx.backend = (await openTestBackend(name, 'sweep goldens')) ?? undefined;
  });
  s.after(async (ctx) => {
    await ctx.backend?.dispose();
  });
  for (const family of families) {
    for (const mode of goldenFiles) {
      s(`${family} ${mode}`, async (ctx) => {
        if (!ctx.backend) return;
        const g = JSON.parse(readFileSync(fixture('sweeps', family, `${mode}.json`), 'utf8')) as Golden;
        const matrix = matrixFor(g, family);
        // batch 3 over 8 samples: three chunks, the last one short
        // a family folder holding head.safetensors (clip) sweeps with that zero-shot head laid over every basis model
        const head = existsSync(fixture('sweeps', family, 'head.safetensors')) ? fixture('sweeps', family, 'head.safetensors') : undefined;
        const res = await runSweep({ matrix, inputs: fixture('sweeps', family, 'inputs.safetensors'), layers: g.layers, head }, { backend: ctx.backend, batch: 3 });
        compare(res, g, matrix, `${family}/${mode} (${name})`);
      });
    }
  }
  s.run();
}
