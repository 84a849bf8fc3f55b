// Bad sweep input is an error naming what is wrong, raised before any backend op runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Backend } from '../src/backends/backend.js';
import { createBackend } from '../src/backends/index.js';
import { writeSafetensors } from '../src/io/writer.js';
import { averaging, explicitMatrix, interpolation } from '../src/sweep/coefficients.js';
import { runSweep } from '../src/sweep/runner.js';
import { mlpTensors, randomTensor, writeInputs, writeMlp } from './harness/synthetic.js';
import { counting } from './harness/tracking_backend.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ctl-sweep-err-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const f = (name: string) => path.join(dir, name);
const widths = [4, 5, 3];

let a: string, b: string, inputs: string;
const setup = (async () => {
  a = f('a.safetensors');
  b = f('b.safetensors');
  inputs = f('inputs.safetensors');
  await writeMlp(a, widths, 1);
  await writeMlp(b, widths, 2);
  await writeInputs(inputs, 6, widths[0], 3, 3);
  // b without 2.bias; c with a wider first layer
  const missing = mlpTensors(widths, 3);
  missing.delete('2.bias');
  await writeSafetensors(f('missing.safetensors'), missing);
  const wider = mlpTensors(widths, 4);
  wider.set('0.weight', randomTensor([5, 6], 9));
  await writeSafetensors(f('shape.safetensors'), wider);
  await writeSafetensors(f('bad_labels.safetensors'), {
    inputs: randomTensor([2, 4], 5),
    labels: { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 3n]) },
  });
})();

async function expectEarly(run: (be: Backend) => Promise<unknown>, pattern: RegExp): Promise<void> {
  await setup;
  const { backend, calls } = counting(await createBackend('reference'));
  let err: Error | undefined;
  try {
    await run(backend);
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, `expected an error matching ${pattern}`);
  assert.match(err!.message, pattern);
  assert.equal(calls, [], `backend ops ran before the error: ${calls.join(', ')}`);
}

const cfg = { architecture: 'mlp' as const };

test('a tensor missing from one checkpoint names the tensor and both files', () =>
  expectEarly(
    (be) => runSweep({ matrix: interpolation(a, f('missing.safetensors'), [0.5]), inputs, config: cfg }, { backend: be }),
    /tensor '2\.bias' is in .*a\.safetensors but missing from .*missing\.safetensors/,
  ));

test('a shape mismatch names the tensor, both shapes and both files', () =>
  expectEarly(
    (be) => runSweep({ matrix: averaging([a, b, f('shape.safetensors')]), inputs, config: cfg }, { backend: be }),
    /tensor '0\.weight' has shape \[5, 4\] in .*a\.safetensors but \[5, 6\] in .*shape\.safetensors/,
  ));

test('an empty alpha grid is an error', () =>
  expectEarly(async (be) => runSweep({ matrix: interpolation(a, b, ''), inputs }, { backend: be }), /--alphas: empty grid/));

test('a coefficient matrix of the wrong width is an error', async () => {
  await expectEarly(async (be) => runSweep({ matrix: explicitMatrix([[0.5, 0.5, 0]], [a, b], 'c.json'), inputs }, { backend: be }), /c\.json: row 0 has 3 entries, expected 2/);
  // a hand-built matrix whose width disagrees with its basis
  const bad = { ...averaging([a, b]), m: 3, data: new Float64Array([1, 0, 0]) };
  await expectEarly((be) => runSweep({ matrix: bad, inputs }, { backend: be }), /rows have 3 columns, expected 2/);
});

test('labels out of range name the label and the class count', () =>
  expectEarly(
    (be) => runSweep({ matrix: interpolation(a, b, [0.5]), inputs: f('bad_labels.safetensors'), config: cfg }, { backend: be }),
    /bad_labels\.safetensors \(labels\): label 3 at position 1 is out of range for 3 classes/,
  ));

test('an unknown layer lists the hooks', () =>
  expectEarly(
    (be) => runSweep({ matrix: interpolation(a, b, [0.5]), inputs, layers: ['1', '7'], config: cfg }, { backend: be }),
    /unknown layer '7'; this mlp has hooks: 1, 2/,
  ));

test('wrong input width and zero samples are errors', async () => {
  await setup;
  await writeSafetensors(f('wide_inputs.safetensors'), { inputs: randomTensor([2, 7], 1) });
  await expectEarly((be) => runSweep({ matrix: averaging([a, b]), inputs: f('wide_inputs.safetensors'), config: cfg }, { backend: be }), /wide_inputs\.safetensors \(inputs\): .*dim 1 must be 4/);
  await writeSafetensors(f('empty_inputs.safetensors'), { inputs: randomTensor([0, 4], 1) });
  await expectEarly((be) => runSweep({ matrix: averaging([a, b]), inputs: f('empty_inputs.safetensors'), config: cfg }, { backend: be }), /empty_inputs\.safetensors \(inputs\): .*no samples/);
});

test('NaN in a row model is an error naming the row and layer', async () => {
  await setup;
  const t = mlpTensors(widths, 5);
  (t.get('2.weight')!.data as Float32Array)[0] = NaN;
  await writeSafetensors(f('nan.safetensors'), t);
  const be = await createBackend('reference');
  try {
    // 0 · NaN is NaN: even the α = 1 row (all weight on A) inherits B's NaN
    await runSweep({ matrix: interpolation(a, f('nan.safetensors'), [1, 0.5]), inputs, config: cfg }, { backend: be });
    assert.unreachable('expected a NaN error');
  } catch (e) {
    assert.match((e as Error).message, /row 0 \(alpha 1\), layer 2: NaN or Inf/);
  }
});

test('an aborted signal stops the sweep', async () => {
  await setup;
  const ctl = new AbortController();
  ctl.abort(new Error('stopped by the test'));
  await expectEarly((be) => runSweep({ matrix: averaging([a, b]), inputs, config: cfg }, { backend: be, signal: ctl.signal }), /stopped by the test/);
});

test.run();
