"""Writes the small I/O fixtures: .npy files by NumPy's own writer, and F16/BF16 goldens by PyTorch.

Run by hand: /usr/bin/python3 tools/gen_io_fixtures.py  (values are simple formulas the test recomputes)
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixtures.st_io import write_safetensors  # noqa: E402

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'io')
os.makedirs(out, exist_ok=True)

# float32 [2, 3]: i / 4 - 1
np.save(os.path.join(out, 'f4_2x3.npy'), (np.arange(6, dtype=np.float32) / 4 - 1).reshape(2, 3))
# int64 [4] token ids, format version 2.0
with open(os.path.join(out, 'i8_v2.npy'), 'wb') as f:
    np.lib.format.write_array(f, np.array([0, 5, 2**40, -3], dtype=np.int64), version=(2, 0))
# float64 [2, 2] in Fortran order: must be rejected
np.save(os.path.join(out, 'f8_fortran.npy'), np.asfortranarray(np.arange(4, dtype=np.float64).reshape(2, 2)))

# PyTorch's own float32 → F16/BF16 rounding (round to nearest even) and F16/BF16 → float32 values,
# over random magnitudes 2^-30..2^20 plus the edge cases (ties, subnormals, overflow, zeros, inf).
g = torch.Generator().manual_seed(0)
mags = torch.pow(2.0, torch.randint(-30, 21, (1900,), generator=g).float())
x = torch.randn(1900, generator=g) * mags
edges = [0.0, -0.0, float('inf'), float('-inf'), 65504.0, 65519.99, 65520.0, 2.0**-24, 2.0**-25, 3 * 2.0**-25,
         2.0**-14, 1 + 2.0**-11, 1 + 3 * 2.0**-11, 1 + 2.0**-8, 1 + 3 * 2.0**-8, 3.4028234663852886e38, 1e-45, -1e-40]
x = torch.cat([x, torch.tensor(edges, dtype=torch.float32)])
write_safetensors(os.path.join(out, 'half_golden.safetensors'), {
    'f32': x,
    'f16': x.half(),
    'bf16': x.bfloat16(),
    'f16_as_f32': x.half().float(),
    'bf16_as_f32': x.bfloat16().float(),
}, metadata={'source': 'tools/gen_io_fixtures.py, torch ' + torch.__version__})
