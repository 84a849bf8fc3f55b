"""PyTorch timings of the bench's op cases, for comparison in the same run.

Reads a JSON list of specs on stdin (bench/harness.ts TorchSpec, each with an "id"), prints a JSON
object {"torch": version, "threads": n, "results": [{"id", "median_seconds", "samples"}]}.
Threads: torch.set_num_threads(THREADS) (default 2); run with OPENBLAS_NUM_THREADS/OMP_NUM_THREADS set too.
Each op runs once untimed, then is timed until `max_time` seconds or `max_samples` samples
(at least `min_samples`); the median is reported.
attention: q kᵀ/√d → softmax (causal: upper triangle masked) → · v (PyTorch 1.13 has no fused SDPA).
combine: Out = C · stacked basis, one float32 matrix product (PyTorch's fastest way; float32 sums).
"""
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def make(spec, g):
    kind = spec['kind']
    randn = lambda *shape: torch.randn(*shape, generator=g)
    if kind == 'matmul':
        a = randn(spec['m'], spec['k'])
        b = randn(spec['n'], spec['k']) if spec['transB'] else randn(spec['k'], spec['n'])
        return (lambda: a @ b.t()) if spec['transB'] else (lambda: a @ b)
    if kind == 'conv2d':
        x = randn(spec['n'], spec['c'], spec['h'], spec['w'])
        w = randn(spec['o'], spec['c'], spec['kh'], spec['kw'])
        b = randn(spec['o']) if spec['bias'] else None
        return lambda: F.conv2d(x, w, b, stride=spec['stride'], padding=spec['padding'])
    if kind == 'attention':
        n, t, d, h = spec['n'], spec['t'], spec['d'], spec['heads']
        qkv = randn(n, t, 3 * d)
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1) if spec['causal'] else None

        def attention():
            q, k, v = (z.reshape(n, t, h, d // h).transpose(1, 2) for z in qkv.split(d, dim=2))
            s = (q @ k.transpose(-1, -2)) / math.sqrt(d // h)
            if mask is not None:
                s = s.masked_fill(mask, float('-inf'))
            return (s.softmax(-1) @ v).transpose(1, 2).reshape(n, t, d)
        return attention
    if kind == 'combine':
        basis = randn(spec['m'], spec['numel'])
        c = torch.rand(spec['k'], spec['m'], generator=g)
        return lambda: c @ basis
    raise ValueError(f'torch_ops: unknown kind {kind!r}')


def time_op(fn, max_time, min_samples, max_samples):
    with torch.no_grad():
        fn()
        samples = []
        t_end = time.perf_counter() + max_time
        while len(samples) < max_samples and (len(samples) < min_samples or time.perf_counter() < t_end):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
    return samples


def main():
    threads = int(os.environ.get('THREADS', '2'))
    max_time = float(os.environ.get('MAX_TIME', '3'))
    min_samples = int(os.environ.get('MIN_SAMPLES', '5'))
    torch.set_num_threads(threads)
    specs = json.load(sys.stdin)
    results = []
    for spec in specs:
        fn = make(spec, torch.Generator().manual_seed(0))
        s = time_op(fn, max_time, min_samples, 200)
        results.append({'id': spec['id'], 'median_seconds': statistics.median(s), 'samples': len(s)})
        del fn
    json.dump({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
