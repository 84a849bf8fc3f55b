// Stage helpers: chain and residualPair compute the right values and release every intermediate
// exactly once (never their input), also when a step throws.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../src/backends/index.js';
import type { DeviceTensor } from '../src/backends/backend.js';
import { chain, residualPair } from '../src/models/stage.js';
import { trackBackend } from './harness/tracking_backend.js';

const boom = async (): Promise<DeviceTensor> => {
  throw new Error('step failed');
};

test('residualPair: y = h + mlp(h), h = x + attn(x); only y and x stay alive', async () => {
  const inner = await createBackend('reference');
  const { be, live } = trackBackend(inner);
  const x = be.upload(new Float32Array([-1, 2, -3, 4]), [2, 2]);
  const y = await residualPair(be, x, [(v) => be.relu(v)], [(v) => be.relu(v), (v) => be.add(v, v)]);
  // h = x + relu(x) = [-1, 4, -3, 8]; y = h + 2·relu(h) = [-1, 12, -3, 24]
  assert.equal(Array.from((await be.read(y)) as Float32Array), [-1, 12, -3, 24]);
  assert.is(live(), 2);
  be.release(y);
  be.release(x);
  assert.is(live(), 0);
  await inner.dispose();
});

test('residualPair and chain release their intermediates when a step throws', async () => {
  const inner = await createBackend('reference');
  const { be, live } = trackBackend(inner);
  const x = be.upload(new Float32Array([1, -2]), [2]);
  for (const run of [
    () => residualPair(be, x, [(v) => be.relu(v), boom], [(v) => be.relu(v)]),
    () => residualPair(be, x, [(v) => be.relu(v)], [(v) => be.relu(v), boom]),
    () => chain(be, x, [(v) => be.relu(v), { view: (v) => be.reshape(v, [1, 2]) }, boom]),
  ]) {
    try {
      await run();
      assert.unreachable('a failing step resolved');
    } catch (e) {
      assert.is((e as Error).message, 'step failed');
    }
    assert.is(live(), 1, 'only the input is left');
  }
  be.release(x);
  await inner.dispose();
});

test.run();
