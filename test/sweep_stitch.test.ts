// Stitching: injecting a model's own features reproduces its loss exactly; the task-arithmetic
// injection 2 f(θ0) − f(θ0 + λτ) continued by θ0 − λτ matches a hand-written host forward.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBackend } from '../src/backends/index.js';
import { interpolation } from '../src/sweep/coefficients.js';
import { runSweep } from '../src/sweep/runner.js';
import { runStitch } from '../src/sweep/stitch.js';
import type { FloatTensor, Tensor } from '../src/tensor.js';
import { writeInputs, writeMlp } from './harness/synthetic.js';
import { rejection } from './harness/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-stitch-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const widths = [4, 6, 5, 3];
const files = [path.join(dir, 'pre.safetensors'), path.join(dir, 'ft.safetensors')];
const inputsFile = path.join(dir, 'inputs.safetensors');
const cfg = { architecture: 'mlp' as const };

const ready = (async () => {
  const ms = [await writeMlp(files[0], widths, 1), await writeMlp(files[1], widths, 2)];
  const data = await writeInputs(inputsFile, 7, widths[0], 3, 4);
  return { ms, data };
})();

test('injecting the row model\'s own features at a hook reproduces its loss exactly', async () => {
  await ready;
  const be = await createBackend('reference');
  const sweep = await runSweep({ matrix: interpolation(files[0], files[1], [0.3]), inputs: inputsFile, config: cfg }, { backend: be, batch: 3 });
  const data = { inputs: inputsFile, config: cfg };
  for (const hook of ['1', '3', '4']) {
    const done: number[] = [];
    const r = await runStitch(files, data, { hook, featureRows: [[0.3, 0.7]], featureWeights: [1], runRow: [0.3, 0.7] }, {
      backend: be,
      batch: 3,
      onProgress: (p) => done.push(p.samplesDone / p.samplesTotal),
    });
    assert.equal(done, [3 / 7, 6 / 7, 1], 'progress after each chunk');
    assert.is(r.loss, sweep.rows[0].loss, `hook ${hook}`);
    assert.is(r.accuracy, sweep.rows[0].accuracy);
  }
  const ctl = new AbortController();
  ctl.abort(new Error('stitch cancelled'));
  const spec = { hook: '3', featureRows: [[0.3, 0.7]], featureWeights: [1], runRow: [0.3, 0.7] };
  assert.match(await rejection(runStitch(files, data, spec, { backend: be, signal: ctl.signal })), /stitch cancelled/);
});

/** Host layer: y = x Wᵀ + b (float64), optional ReLU. */
function linear(x: Float64Array, n: number, w: Float32Array, b: Float32Array, out: number, relu: boolean): Float64Array {
  const inF = x.length / n;
  const y = new Float64Array(n * out);
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < out; o++) {
      let acc = b[o];
      for (let i = 0; i < inF; i++) acc += x[s * inF + i] * w[o * inF + i];
      y[s * out + o] = relu ? Math.max(acc, 0) : acc;
    }
  }
  return y;
}

test('task-arithmetic stitch equals the hand computation', async () => {
  const { ms, data } = await ready;
  const lambda = 0.5;
  const w = (row: number[], name: string) => {
    const [a, b] = ms.map((m) => (m.get(name) as FloatTensor).data);
    return Float32Array.from(a, (v, i) => row[0] * v + row[1] * b[i]);
  };
  const x = Float64Array.from((data.inputs as FloatTensor).data);
  const n = 7;
  const layer1 = (row: number[]) => linear(x, n, w(row, '0.weight'), w(row, '0.bias'), 6, true);
  const f0 = layer1([1, 0]);
  const fl = layer1([1 - lambda, lambda]);
  const h = f0.map((v, i) => 2 * v - fl[i]);
  const run = [1 + lambda, -lambda];
  const logits = linear(linear(h, n, w(run, '2.weight'), w(run, '2.bias'), 5, true), n, w(run, '4.weight'), w(run, '4.bias'), 3, false);
  const labels = Array.from((data.labels as Tensor).data as BigInt64Array, Number);
  let loss = 0;
  let correct = 0;
  labels.forEach((y, s) => {
    const z = Array.from(logits.subarray(s * 3, s * 3 + 3));
    loss += Math.log(z.reduce((p, v) => p + Math.exp(v), 0)) - z[y];
    if (z.indexOf(Math.max(...z)) === y) correct++;
  });
  const be = await createBackend('reference');
  const dataSpec = { inputs: inputsFile, config: cfg };
  const r = await runStitch(
    files,
    dataSpec,
    { hook: '1', featureRows: [[1, 0], [1 - lambda, lambda]], featureWeights: [2, -1], runRow: run },
    { backend: be, batch: 4 },
  );
  assert.ok(Math.abs(r.loss - loss / n) <= 1e-5 * Math.abs(loss / n), `${r.loss} vs ${loss / n}`);
  assert.is(r.accuracy, correct / n);
  try {
    await runStitch(files, dataSpec, { hook: '2', featureRows: [[1, 0]], featureWeights: [1], runRow: [1, 0] }, { backend: be, batch: 4 });
    assert.unreachable('unknown hook');
  } catch (e) {
    assert.match((e as Error).message, /stitch: unknown layer '2'; hooks: 1, 3, 4/);
  }
});

test.run();
