"""Which PyTorch the bench compares against: the BLAS it loaded (and OpenBLAS's core and config),
oneDNN's ISA, ATen's CPU capability, and a 512³ matmul rate, so a reference-BLAS torch (about
6 GFLOP/s) cannot pass for PyTorch at its best.

Run with ONEDNN_VERBOSE=1 (bench/torch.ts does): oneDNN prints its ISA line on the first primitive,
which the caller reads from stdout. Prints one line "TORCH_INFO {json}" last.
"""
import ctypes
import json
import os
import time

import torch
import torch.nn.functional as F


def blas_info():
    libs = sorted({line.split()[-1] for line in open('/proc/self/maps') if 'blas' in line.split()[-1]})
    info = {'libraries': libs, 'openblas_core': None, 'openblas_config': None}
    for lib in libs:
        if 'openblas' in lib:
            b = ctypes.CDLL(lib)
            b.openblas_get_corename.restype = ctypes.c_char_p
            b.openblas_get_config.restype = ctypes.c_char_p
            info['openblas_core'] = b.openblas_get_corename().decode()
            info['openblas_config'] = b.openblas_get_config().decode()
    return info


def main():
    torch.set_num_threads(int(os.environ.get('THREADS', '2')))
    with torch.no_grad():
        F.conv2d(torch.randn(2, 32, 28, 28), torch.randn(32, 32, 3, 3), padding=1)  # oneDNN's first primitive
        a = torch.randn(512, 512)
        a @ a
        t0 = time.perf_counter()
        for _ in range(10):
            a @ a
        gflops = 10 * 2 * 512 ** 3 / (time.perf_counter() - t0) / 1e9
    config = torch.__config__.show()
    capability = next((line.split(':', 1)[1].strip() for line in config.splitlines() if 'CPU capability usage' in line), None)
    print('TORCH_INFO ' + json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas_info(),
        'blas_info': next((p.split('=', 1)[1] for p in config.replace(',', '\n').split() if p.startswith('BLAS_INFO=')), None),
        'mkldnn_available': torch.backends.mkldnn.is_available(), 'aten_cpu_capability': capability,
        'matmul_512_gflops': round(gflops, 1),
    }))


if __name__ == '__main__':
    main()
