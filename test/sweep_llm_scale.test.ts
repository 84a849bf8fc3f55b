// The LLM-scale schedule paths give the same results as the default one: a streamed basis (each
// stage's parameters read when it runs and released after it) and a last stage whose rows are
// reduced one at a time (lm_head [N, T, vocab] never held for all rows). Every family's sweep
// goldens, batch 3 (three chunks) and batch 8 (one chunk), reference and native backends.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import type { Backend } from '../src/backends/backend.js';
import { interpolation, averaging, taskArithmetic, type CoefficientMatrix } from '../src/sweep/coefficients.js';
import { runSweep } from '../src/sweep/runner.js';
import { openTestBackend } from './harness/backends.js';
import { trackBackend } from './harness/tracking_backend.js';
import { fixture } from './harness/paths.js';

const families = readdirSync(fixture('sweeps'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

function matrixOf(family: string, mode: string): CoefficientMatrix {
  const g = JSON.parse(readFileSync(fixture('sweeps', family, `${mode}.json`), 'utf8')) as { models: string[]; alphas?: number[]; lambdas?: number[] };
  const p = g.models.map((m) => fixture('sweeps', family, m));
  if (mode === 'interpolate') return interpolation(p[0], p[1], g.alphas!);
  if (mode === 'average') return averaging(p);
  return taskArithmetic(p[0], p.slice(1), g.lambdas!);
}

/** Every number in a and b (results minus timing and memory fields) within 1e-12 relative. */
function same(a: unknown, b: unknown, where: string): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${where}: ${a} vs ${b}`);
  } else if (a && b && typeof a === 'object') {
    const keys = Object.keys(b as object).filter((k) => !['elapsed_seconds', 'peak_rss_bytes', 'elapsedSeconds', 'peakRssBytes'].includes(k));
    for (const k of keys) same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
  } else {
    assert.equal(a, b, where);
  }
}

for (const name of ['reference', 'native'] as const) {
  const s = suite<{ be?: Backend }>(`llm-scale schedule (${name})`, {});
  s.before(async (ctx) => {
    ctx.be = (await openTestBackend(name, 'sweep_llm_scale')) ?? undefined;
  });
  s.after(async (ctx) => ctx.be?.dispose());
  for (const family of families) {
    for (const mode of ['interpolate', 'average', 'task_arithmetic']) {
      s(`${family} ${mode}`, async (ctx) => {
        if (!ctx.be) return;
        const matrix = matrixOf(family, mode);
        const spec = { matrix, inputs: fixture('sweeps', family, 'inputs.safetensors') };
        for (const batch of [3, 8]) {
          const plain = await runSweep(spec, { backend: ctx.be, batch, memory: { basisCacheBytes: Infinity, featureBytes: Infinity } });
          const tracked = trackBackend(ctx.be);
          const lean = await runSweep(spec, { backend: tracked.be, batch, memory: { basisCacheBytes: 0, featureBytes: 0 } });
          assert.is(tracked.live(), 0, `${family} ${mode} batch ${batch}: tensors left on the backend`);
          same(lean, plain, `${family} ${mode} batch ${batch}`);
        }
      });
    }
  }
  s.run();
}
