#!/usr/bin/python3
"""Generate ctlkit's committed test goldens with an independent PyTorch reference.

Run by hand from the repository root with Debian's PyTorch (python3-torch 1.13, python3-torchvision
0.14; no safetensors/transformers packages needed):

    /usr/bin/python3 tools/gen_fixtures.py            # everything
    /usr/bin/python3 tools/gen_fixtures.py models     # part A only
    /usr/bin/python3 tools/gen_fixtures.py sweeps     # part B only

Part A (tools/fixtures/model_cases.py) writes test/fixtures/models/<case>/: small random models of
every family (MLP in F32/BF16/F16, Basic and Bottleneck ResNets with both stems, two ViTs, GPT-2
tied and untied) with their weights under torch's state_dict names, inputs, and each hook module's
forward output. Part B (tools/fixtures/sweep_golden.py) writes test/fixtures/sweeps/<family>/:
a random "pretrained" model, three perturbed "finetuned" ones, inputs, and golden CTL sweep results
(interpolate, average, task arithmetic, negate) computed with tools/fixtures/metrics.py, an
independent implementation of BRIEF.md's "Shared definitions"; and test/fixtures/metrics/ with
hand-made features for the zero-norm rules. Everything is seeded and single-threaded: two runs
give byte-identical files. See test/fixtures/README.md for what each case covers.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fixtures import model_cases  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'test', 'fixtures')


def main(argv):
    parts = argv or ['models', 'sweeps']
    unknown = [p for p in parts if p not in ('models', 'sweeps')]
    if unknown:
        sys.exit(f'gen_fixtures.py: unknown part(s) {unknown}; expected "models" and/or "sweeps"')
    torch.set_num_threads(1)
    torch.manual_seed(0)
    if 'models' in parts:
        for folder in model_cases.generate(os.path.join(ROOT, 'models')):
            print('wrote', os.path.relpath(folder, ROOT))
    if 'sweeps' in parts:
        from fixtures import sweep_golden
        for folder in sweep_golden.generate(ROOT):
            print('wrote', os.path.relpath(folder, ROOT))


if __name__ == '__main__':
    main(sys.argv[1:])
