"""Writes the small .npy files test/io_inputs.test.ts reads, with NumPy's own writer.

Run by hand: /usr/bin/python3 tools/gen_io_fixtures.py  (values are simple formulas the test recomputes)
"""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'io')
os.makedirs(out, exist_ok=True)

# float32 [2, 3]: i / 4 - 1
np.save(os.path.join(out, 'f4_2x3.npy'), (np.arange(6, dtype=np.float32) / 4 - 1).reshape(2, 3))
# int64 [4] token ids, format version 2.0
with open(os.path.join(out, 'i8_v2.npy'), 'wb') as f:
    np.lib.format.write_array(f, np.array([0, 5, 2**40, -3], dtype=np.int64), version=(2, 0))
# float64 [2, 2] in Fortran order: must be rejected
np.save(os.path.join(out, 'f8_fortran.npy'), np.asfortranarray(np.arange(4, dtype=np.float64).reshape(2, 2)))
