// Peak memory stays flat when the number of samples or layers grows.
// 1. Peak RSS of child processes (fresh maxRSS each, GC after each chunk) on synthetic MLPs,
//    compared with what holding every layer's features of every model would cost.
// 2. Exact accounting: a wrapper backend tracks the bytes of live device tensors; at a fixed batch
//    the peak must not change with the number of samples, and grow with the number of layers only
//    by the basis weights (kept for the run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, DeviceTensor } from '../src/backends/backend.js';
import { createBackend } from '../src/backends/index.js';
import { interpolation } from '../src/sweep/coefficients.js';
import { runSweep } from '../src/sweep/runner.js';
import { numel } from '../src/tensor.js';
import { isDeviceTensor } from './harness/case_kit.js';
import { writeInputs, writeMlp } from './harness/synthetic.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-memory-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'harness', 'rss_probe.js');
const W = 32;
const CLASSES = 10;
const MODELS = 5; // 2 basis models + 3 rows (α = 0, 0.5, 1)
const MiB = 2 ** 20;

async function files(layers: number, samples: number): Promise<[string, string, string]> {
  const widths = [W, ...Array(layers - 1).fill(W), CLASSES];
  const a = path.join(dir, `a${layers}.safetensors`);
  const b = path.join(dir, `b${layers}.safetensors`);
  const x = path.join(dir, `inputs${samples}.safetensors`);
  await writeMlp(a, widths, 1);
  await writeMlp(b, widths, 2);
  await writeInputs(x, samples, W, CLASSES, 3);
  return [a, b, x];
}

function peakRss(a: string, b: string, x: string, batch: number): number {
  const out = execFileSync(process.execPath, ['--expose-gc', probe, a, b, x, String(batch)], { encoding: 'utf8' });
  return (JSON.parse(out) as { peak_rss_bytes: number }).peak_rss_bytes;
}

/** float32 bytes of every layer's features of every model (hooks: layers − 1 ReLUs of width W, logits). */
const allFeatures = (layers: number, samples: number) => 4 * samples * MODELS * ((layers - 1) * W + CLASSES);

test('peak RSS: 32× more samples or 16× more layers grow it by under half of the features held', async () => {
  const batch = 512;
  // RSS also moves by a few MiB with malloc fragmentation and the inputs themselves, so the sizes
  // are chosen to make holding every feature cost 60–80 MiB more
  const cases = [
    { what: 'samples 1024 → 32768 (4 layers)', small: [4, 1024], large: [4, 32768] },
    { what: 'layers 4 → 64 (2048 samples)', small: [4, 2048], large: [64, 2048] },
  ];
  for (const c of cases) {
    const small = peakRss(...(await files(c.small[0], c.small[1])), batch);
    const large = peakRss(...(await files(c.large[0], c.large[1])), batch);
    const featureGrowth = allFeatures(c.large[0], c.large[1]) - allFeatures(c.small[0], c.small[1]);
    const growth = large - small;
    console.log(`  ${c.what}: peak RSS ${(small / MiB).toFixed(1)} → ${(large / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)}); holding all features would add ${(featureGrowth / MiB).toFixed(1)} MiB`);
    // margin: the growth must stay below half of what the released code's approach would add
    assert.ok(growth < 0.5 * featureGrowth, `${c.what}: RSS grew ${(growth / MiB).toFixed(1)} MiB, all features ${(featureGrowth / MiB).toFixed(1)} MiB`);
  }
});

/** Tracks the bytes of live device tensors (reshape views share their original's storage). */
function tracking(be: Backend): { backend: Backend; peak: () => number } {
  const bytes = new Map<DeviceTensor, number>();
  const root = new Map<DeviceTensor, DeviceTensor>();
  let live = 0;
  let peak = 0;
  const add = (t: DeviceTensor) => {
    const n = 4 * numel(t.shape);
    bytes.set(t, n);
    live += n;
    peak = Math.max(peak, live);
  };
  const backend = new Proxy(be, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (typeof v !== 'function') return v;
      const fn = v as (...a: unknown[]) => unknown;
      if (prop === 'reshape') {
        return (t: DeviceTensor, shape: number[]) => {
          const view = fn.call(target, t, shape) as DeviceTensor;
          root.set(view, root.get(t) ?? t);
          return view;
        };
      }
      if (prop === 'release') {
        return (t: DeviceTensor) => {
          const r = root.get(t) ?? t;
          live -= bytes.get(r) ?? 0;
          bytes.delete(r);
          fn.call(target, t);
        };
      }
      if (prop === 'upload') {
        return (...args: unknown[]) => {
          const t = fn.apply(target, args) as DeviceTensor;
          add(t);
          return t;
        };
      }
      return async (...args: unknown[]) => {
        const out = await fn.apply(target, args);
        if (Array.isArray(out)) out.filter(isDeviceTensor).forEach(add);  // not featureProducts' host arrays
        else if (isDeviceTensor(out)) add(out);
        return out;
      };
    },
  });
  return { backend, peak: () => peak };
}

async function livePeak(layers: number, samples: number, batch: number): Promise<number> {
  const [a, b, x] = await files(layers, samples);
  const { backend, peak } = tracking(await createBackend('reference'));
  await runSweep({ matrix: interpolation(a, b, [0, 0.5, 1]), inputs: x, config: { architecture: 'mlp' } }, { backend, batch });
  return peak();
}

test('live device bytes: identical peak for 64 and 512 samples; more layers add only basis weights', async () => {
  const batch = 32;
  assert.is(await livePeak(3, 512, batch), await livePeak(3, 64, batch));
  const p3 = await livePeak(3, 64, batch);
  const p9 = await livePeak(9, 64, batch);
  const basisWeights = 2 * 4 * 6 * (W * W + W); // 6 more hidden Linear layers in each of 2 basis models
  assert.is(p9 - p3, basisWeights);
});

test.run();
