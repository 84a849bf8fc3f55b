import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { numel, floatTensor, intValues } from '../src/tensor.js';

test('numel multiplies dims, scalar is 1', () => {
  assert.is(numel([2, 3, 4]), 24);
  assert.is(numel([]), 1);
  assert.is(numel([5, 0]), 0);
});

test('floatTensor rejects data of the wrong length', () => {
  assert.throws(() => floatTensor([2, 2], new Float32Array(3)), /needs 4/);
});

test('intValues rejects int64 values beyond int32', () => {
  assert.throws(
    () => intValues({ dtype: 'int64', shape: [1], data: new BigInt64Array([2n ** 40n]) }),
    /does not fit in int32/,
  );
  assert.equal(Array.from(intValues({ dtype: 'int64', shape: [2], data: new BigInt64Array([3n, -1n]) })), [3, -1]);
});

test.run();
