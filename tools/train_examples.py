#!/usr/bin/env python3
"""Trains the checkpoints bundled in examples/ for `ctlkit demo` (by hand, CPU: about 4.5 min of CPU time).

Data: scikit-learn's bundled handwritten digits (load_digits: 1797 8x8 images, BSD-3-Clause,
no download), upsampled to 16x16. 256 images are held out (seeded permutation) for evaluation.
Tasks (Rotated-MNIST style): pre = upright digits, A = digits rotated by 90 degrees,
B = digits rotated by 180 degrees; all 10 classes in every task.

Per architecture (mlp, resnet, vit) it writes examples/<arch>/:
  pre                  pretrained on upright digits (lr 1e-3)
  ft_a, ft_b           finetuned from pre on A / B (lr 5e-4, half the steps)
  control_a, control_b trained on A / B from ONE shared random init (same steps and lr as ft)
  series/pre_short     pretrained for 1/10 of the steps; series/short_{a,b} finetuned from it
                       (series "none" = control_{a,b}, series "full" = ft_{a,b}; not duplicated)
  hp_1..hp_3           finetuned from pre on A with other learning rates and seeds
  eval_{pre,a,b}.safetensors  held-out `inputs` (float32) and `labels` (int64)
  config.json
Usage: /usr/bin/python3 tools/train_examples.py [--out examples]
"""
import argparse
import json
import os
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torchvision.models.resnet import BasicBlock
from torchvision.models.vision_transformer import VisionTransformer

from fixtures.st_io import write_safetensors  # tools/fixtures (this script's folder is on sys.path)

SIZE = 16
N_EVAL = 256
TASKS = {'pre': 0, 'a': 1, 'b': 2}  # number of quarter turns (torch.rot90, counter-clockwise)
PRE_LR, PRE_EPOCHS = 1e-3, 30
SHORT_EPOCHS = 3
FT_LR, FT_EPOCHS = 5e-4, 15
HP = [(3e-4, 11), (5e-4, 12), (8e-4, 13)]  # (lr, seed) for hp_1..hp_3, finetuned on A
BATCH = 64


# ---------------------------------------------------------------- safetensors (no package here)
def save_safetensors(tensors, path):
    """Names sorted, metadata {"format": "pt"}; the writer shared with the fixture generator."""
    write_safetensors(path, {name: tensors[name] for name in sorted(tensors)}, {'format': 'pt'})


# ---------------------------------------------------------------- data
def load_data():
    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32) / 16.0)[:, None]
    x = F.interpolate(x, size=(SIZE, SIZE), mode='bilinear', align_corners=False)
    x = (x - x.mean()) / x.std()
    y = torch.from_numpy(d.target.astype(np.int64))
    perm = torch.from_numpy(np.random.RandomState(0).permutation(len(y)))
    test, train = perm[:N_EVAL], perm[N_EVAL:]
    return (x[train], y[train]), (x[test], y[test])


def task_view(x, task):
    return torch.rot90(x, TASKS[task], dims=(2, 3))


# ---------------------------------------------------------------- architectures
def make_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(SIZE * SIZE, 128), nn.ReLU(), nn.Linear(128, 128),
                         nn.ReLU(), nn.Linear(128, 10))


class SmallResNet(nn.Module):
    """torchvision ResNet naming, CIFAR stem (3x3 stride 1, no maxpool), BasicBlock, widths 16/32/64."""

    def __init__(self, widths=(16, 32, 64), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        cin = widths[0]
        for s, w in enumerate(widths):
            stride = 1 if s == 0 else 2
            down = None
            if stride != 1 or cin != w:
                down = nn.Sequential(nn.Conv2d(cin, w, 1, stride, bias=False), nn.BatchNorm2d(w))
            setattr(self, f'layer{s + 1}', nn.Sequential(BasicBlock(cin, w, stride, down)))
            cin = w
        self.n_stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for s in range(self.n_stages):
            x = getattr(self, f'layer{s + 1}')(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def make_resnet():
    return SmallResNet()


def make_vit():
    m = VisionTransformer(image_size=SIZE, patch_size=4, num_layers=3, num_heads=3, hidden_dim=48,
                          mlp_dim=96, num_classes=10)
    m.conv_proj = nn.Conv2d(1, 48, kernel_size=4, stride=4)  # 1 input channel
    return m


ARCHS = OrderedDict(
    mlp=(make_mlp, {'architecture': 'mlp'}),
    resnet=(make_resnet, {'architecture': 'resnet', 'stem': 'cifar'}),
    vit=(make_vit, {'architecture': 'vit', 'num_heads': 3, 'layer_norm_eps': 1e-6}),
)


def state_for_file(model, arch):
    sd = model.state_dict()
    if arch == 'mlp':  # drop the Flatten module: checkpoint names 0.weight, 2.weight, 4.weight
        sd = OrderedDict((f'{int(k.split(".")[0]) - 1}.{k.split(".", 1)[1]}', v) for k, v in sd.items())
    return sd


# ---------------------------------------------------------------- training and evaluation
def train(model, data, task, lr, epochs, seed):
    x, y = task_view(data[0], task), data[1]
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(y) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), BATCH):
            idx = perm[i:i + BATCH]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return steps


@torch.no_grad()
def accuracy(model, test, task):
    model.eval()
    return (model(task_view(test[0], task)).argmax(1) == test[1]).float().mean().item()


def copy_model(make, src):
    m = make()
    m.load_state_dict(src.state_dict())
    return m


def run_arch(arch, out, train_set, test_set, rows):
    make, config = ARCHS[arch]
    folder = os.path.join(out, arch)
    os.makedirs(os.path.join(folder, 'series'), exist_ok=True)
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
        f.write('\n')
    for task in TASKS:
        x = task_view(test_set[0], task)
        if arch == 'mlp':
            x = x.reshape(len(x), -1)
        save_safetensors({'inputs': x, 'labels': test_set[1]}, os.path.join(folder, f'eval_{task}.safetensors'))

    def save(name, model, note):
        save_safetensors(state_for_file(model, arch), os.path.join(folder, f'{name}.safetensors'))
        accs = [accuracy(model, test_set, t) for t in TASKS]
        rows.append((arch, name, note, accs))
        print(f'{arch:6s} {name:18s} ' + '  '.join(f'{t}={a:.3f}' for t, a in zip(TASKS, accs)) + f'  ({note})',
              flush=True)

    torch.manual_seed(1)
    pre = make()
    init_pre = copy_model(make, pre)
    n = train(pre, train_set, 'pre', PRE_LR, PRE_EPOCHS, seed=1)
    save('pre', pre, f'upright, lr {PRE_LR:g}, {PRE_EPOCHS} epochs ({n} steps), seed 1')

    short = init_pre
    n = train(short, train_set, 'pre', PRE_LR, SHORT_EPOCHS, seed=1)
    save('series/pre_short', short, f'upright, lr {PRE_LR:g}, {SHORT_EPOCHS} epochs ({n} steps), seed 1')

    torch.manual_seed(2)
    control_init = make()  # the one shared random init of the control pair
    for task in ('a', 'b'):
        seed = 3 if task == 'a' else 4
        for name, base in ((f'ft_{task}', pre), (f'series/short_{task}', short), (f'control_{task}', control_init)):
            m = copy_model(make, base)
            n = train(m, train_set, task, FT_LR, FT_EPOCHS, seed=seed)
            save(name, m, f'task {task.upper()} from {"random init" if base is control_init else "pre" if base is pre else "pre_short"}, '
                 f'lr {FT_LR:g}, {FT_EPOCHS} epochs ({n} steps), seed {seed}')
    for i, (lr, seed) in enumerate(HP, 1):
        m = copy_model(make, pre)
        n = train(m, train_set, 'a', lr, FT_EPOCHS, seed=seed)
        save(f'hp_{i}', m, f'task A from pre, lr {lr:g}, {FT_EPOCHS} epochs ({n} steps), seed {seed}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='examples')
    ap.add_argument('--archs', default=','.join(ARCHS))
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads (1 is fastest on a busy 2-core box)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train_set, test_set = load_data()
    rows = []
    for arch in args.archs.split(','):
        t0 = time.time()
        run_arch(arch, args.out, train_set, test_set, rows)
        print(f'{arch}: {time.time() - t0:.0f} s', flush=True)
    print('\n| arch | checkpoint | acc upright | acc A (90°) | acc B (180°) | training |')
    print('|---|---|---|---|---|---|')
    for arch, name, note, accs in rows:
        print(f'| {arch} | {name} | ' + ' | '.join(f'{a:.3f}' for a in accs) + f' | {note} |')


if __name__ == '__main__':
    main()
