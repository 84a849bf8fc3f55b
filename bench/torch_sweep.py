"""An efficient PyTorch implementation of the 11-α interpolation sweep with the official metrics,
timed against ctlkit by bench/sweep.bench.ts on the same checkpoint files.

  torch_sweep.py make  --model resnet18|vit|clip --out DIR --samples N
      writes DIR/{pre,ft_a,ft_b}.safetensors (random pretrained + two perturbed "finetuned" copies, the
      fixture generator's recipe), config.json and inputs.safetensors (inputs, labels)
  torch_sweep.py sweep --model resnet18|vit|clip --dir DIR --out FILE [--batch B]
      θ_α = α θ_A + (1 − α) θ_B for α = 0, 0.1, …, 1 (float64 sums rounded once to float32); per chunk of
      B samples: forward A and B once (hook features kept for the chunk), then each α model with forward
      hooks that reduce on the fly, per sample in float64: ⟨F,A⟩, ⟨F,B⟩, ‖F‖² (and ‖A‖², ‖B‖², ⟨A,B⟩ once),
      from which ⟨F,G⟩ = α⟨F,A⟩ + (1−α)⟨F,B⟩ and ‖G‖² = α²‖A‖² + 2α(1−α)⟨A,B⟩ + (1−α)²‖B‖² (G = αA + (1−α)B).
      Writes the metrics (ctlkit's results.json names), seconds, peak RSS and the FLOP count.
torch.no_grad, eval mode, torch.set_num_threads(THREADS, default 2).
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from tools.fixtures.models import SmallResNet, build_vit, randomise_, resnet_hooks, vit_hooks  # noqa: E402
from tools.fixtures.st_io import read_safetensors, write_safetensors  # noqa: E402
from tools.fixtures.sweep_golden import checkpoint, perturb  # noqa: E402
from tools.fixtures import vit_family as vf  # noqa: E402

ALPHAS = [i / 10 for i in range(11)]
MODELS = {
    # torchvision resnet18 layout with the CIFAR stem (3×3/1 conv1, no max pool), 10 classes
    'resnet18': (lambda: SmallResNet(BasicBlock, [2, 2, 2, 2], [64, 128, 256, 512], 10, 'cifar'),
                 {'architecture': 'resnet', 'stem': 'cifar'}, resnet_hooks),
    # torchvision VisionTransformer: image 32, patch 4, 6 layers, 3 heads, hidden 192, MLP 768
    'vit': (lambda: build_vit(32, 4, 6, 3, 192, 768, 10), {'architecture': 'vit', 'num_heads': 3}, vit_hooks),
    # ViT-B/32-shaped CLIP visual tower in task_vectors' ImageEncoder (open_clip 2.0.2 semantics, QuickGELU):
    # width 768, 12 blocks of 12 heads, patch 32, image 224, embed 512; the logits hook is encode_image's
    # output (no zero-shot head); blocks run sequence-first and are hooked batch-first
    'clip': (lambda: vf.ImageEncoder(vf.CLIP(dict(image_size=224, patch_size=32, width=768, layers=12, heads=12, mlp_ratio=4.0),
                                             512, 'quick_gelu', keep_lang=False)),
             {'architecture': 'clip'}, lambda m: vf.open_clip_hooks(m, 'model.')),
}
IMAGE = {'clip': 224}
# a hook's output as [N, features]: open_clip's blocks are sequence-first
BATCH_FIRST = {'clip': vf.open_clip_batch_first}


def make(model_name, out, samples):
    factory, config, _ = MODELS[model_name]
    os.makedirs(out, exist_ok=True)
    pre = (vf.randomise_(factory(), 7001) if model_name == 'clip' else randomise_(factory(), seed=7001, batches_tracked=1000)).eval()
    states = {'pre': checkpoint(pre)}
    states['ft_a'] = perturb(states['pre'], 7011, 1100)
    states['ft_b'] = perturb(states['pre'], 7012, 1200)
    for name, state in states.items():
        write_safetensors(os.path.join(out, f'{name}.safetensors'), state)
    g = torch.Generator().manual_seed(7100)
    size = IMAGE.get(model_name, 32)
    x = torch.randn(samples, 3, size, size, generator=g)
    with torch.no_grad():
        pred = pre(x).argmax(dim=-1)
    rand = torch.randint(0, 10, (samples,), generator=g)
    labels = torch.where(torch.arange(samples) % 2 == 0, pred, rand)  # half "right", half random
    write_safetensors(os.path.join(out, 'inputs.safetensors'), {'inputs': x, 'labels': labels})
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump(config, f)


def count_flops(model, x):
    """Forward FLOPs of one batch (2 per multiply-add): Conv2d, Linear, and MultiheadAttention
    (its in/out projections and the two attention products; its modules do not fire hooks)."""
    total = [0]

    def conv(m, i, o):
        total[0] += 2 * o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m, i, o):
        total[0] += 2 * o.numel() * m.in_features

    def mha(m, i, o):
        n, t, d = o[0].shape  # called with keywords: the output (attention, weights) gives the shape
        if not m.batch_first:
            t, n = n, t
        total[0] += 2 * n * t * 4 * d * d + 4 * n * t * t * d

    handles = []
    for m in model.modules():
        fn = conv if isinstance(m, nn.Conv2d) else linear if isinstance(m, nn.Linear) else mha if isinstance(m, nn.MultiheadAttention) else None
        if fn:
            handles.append(m.register_forward_hook(fn))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return total[0]


def combine_into(model, a, b, alpha):
    """model's parameters and buffers ← α a + (1 − α) b in float64, rounded once; integers from a."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_((a[name].double() * alpha + b[name].double() * (1 - alpha)).float())
            else:
                t.copy_(a[name])


def flat64(o):
    return o.detach().reshape(o.shape[0], -1).double()


def pair_metrics(dot, ff, gg, tag, with_coef=True, with_cos=False):
    """Official names from per-sample float64 sums (zero-norm rules of the brief)."""
    def dist(d, f, g):
        both, one = (f == 0) & (g == 0), (f == 0) | (g == 0)
        v = 1 - d.abs() / (f * g).clamp_min(1e-300).sqrt()
        return torch.where(both, torch.zeros_like(v), torch.where(one, torch.ones_like(v), v))

    def coef(d, f, g):
        v = d / torch.where(g == 0, torch.ones_like(g), g)
        return torch.where(g == 0, (f == 0).double(), v)

    def cos(d, f, g):
        both, one = (f == 0) & (g == 0), (f == 0) | (g == 0)
        v = d / (f * g).clamp_min(1e-300).sqrt()
        return torch.where(both, torch.ones_like(v), torch.where(one, torch.zeros_like(v), v))

    D, Fs, Gs = dot.sum().reshape(1), ff.sum().reshape(1), gg.sum().reshape(1)
    n = dot.numel()
    std = lambda v: v.std(unbiased=True).item() if n >= 2 else None
    dn = dist(dot, ff, gg)
    out = {f'dist_{tag}': dist(D, Fs, Gs).item(), f'dist_{tag}_over_samples_mean': dn.mean().item(),
           f'dist_{tag}_over_samples_std': std(dn)}
    if with_coef:
        cn = coef(dot, ff, gg)
        out.update({f'coef_{tag}': coef(D, Fs, Gs).item(), f'coef_{tag}_over_samples_mean': cn.mean().item(),
                    f'coef_{tag}_over_samples_std': std(cn)})
    if with_cos:
        out[f'cos_{tag}_over_samples_mean'] = cos(dot, ff, gg).mean().item()
    return out


def peak_rss_bytes():
    """VmHWM from /proc/self/status (this program's own peak; getrusage's ru_maxrss survives exec and
    would report a large parent's size), else ru_maxrss"""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def sweep(model_name, folder, batch):
    t0 = time.perf_counter()
    factory, _, hooks_of = MODELS[model_name]
    a = read_safetensors(os.path.join(folder, 'ft_a.safetensors'))
    b = read_safetensors(os.path.join(folder, 'ft_b.safetensors'))
    data = read_safetensors(os.path.join(folder, 'inputs.safetensors'))
    x, labels = data['inputs'], data['labels']
    n = x.shape[0]
    model = factory().eval()
    hooks = hooks_of(model)
    modules = dict(model.named_modules())
    logits_hook = hooks[-1]
    K = len(ALPHAS)
    # per (row, hook): per-sample float64 sums over all samples
    fa = {h: torch.zeros(K, n, dtype=torch.float64) for h in hooks}
    fb, ff = ({h: torch.zeros(K, n, dtype=torch.float64) for h in hooks} for _ in range(2))
    aa, bb, ab = ({h: torch.zeros(n, dtype=torch.float64) for h in hooks} for _ in range(3))
    loss_sum, correct = torch.zeros(K, dtype=torch.float64), torch.zeros(K, dtype=torch.float64)
    state = {}  # what the hooks do now: capture a basis model's features, or reduce a row model's

    to_batch_first = BATCH_FIRST.get(model_name, lambda h: None)

    def hook(h):
        fix = to_batch_first(h)

        def fn(_m, _i, o):
            o = fix(o) if fix else o
            if state['mode'] == 'capture':
                state['feats'][h] = o.detach().reshape(o.shape[0], -1)
            else:
                s, k = state['slice'], state['row']
                f = flat64(o)
                fa[h][k, s] = (f * state['A'][h]).sum(1)
                fb[h][k, s] = (f * state['B'][h]).sum(1)
                ff[h][k, s] = (f * f).sum(1)
                if h == logits_hook:
                    y = labels[s]
                    loss_sum[k] += nn.functional.cross_entropy(o.double(), y, reduction='sum')
                    correct[k] += (o.argmax(dim=-1) == y).double().sum()
        return fn

    handles = [modules[h].register_forward_hook(hook(h)) for h in hooks]
    with torch.no_grad():
        for start in range(0, n, batch):
            s = slice(start, min(n, start + batch))
            xs = x[s]
            basis = []
            for w in (a, b):
                model.load_state_dict(w)
                state.update(mode='capture', feats={})
                model(xs)
                basis.append({h: f.double() for h, f in state['feats'].items()})  # float64 for this chunk
            A, B = basis
            for h in hooks:
                a64, b64 = A[h], B[h]
                aa[h][s], bb[h][s], ab[h][s] = (a64 * a64).sum(1), (b64 * b64).sum(1), (a64 * b64).sum(1)
            state.update(mode='reduce', A=A, B=B, slice=s)
            for k, alpha in enumerate(ALPHAS):
                combine_into(model, a, b, alpha)
                state['row'] = k
                model(xs)
            del basis, A, B
    for handle in handles:
        handle.remove()

    rows = []
    for k, alpha in enumerate(ALPHAS):
        layers = {}
        for h in hooks:
            dot_g = alpha * fa[h][k] + (1 - alpha) * fb[h][k]
            gg = alpha * alpha * aa[h] + 2 * alpha * (1 - alpha) * ab[h] + (1 - alpha) ** 2 * bb[h]
            m = pair_metrics(dot_g, ff[h][k], gg, 'alpha_int', with_cos=True)
            m.update(pair_metrics(fa[h][k], ff[h][k], aa[h], 'alpha_A', with_coef=False))
            m.update(pair_metrics(fb[h][k], ff[h][k], bb[h], 'alpha_B', with_coef=False))
            layers[h] = m
        rows.append({'alpha': alpha, 'coefficients': [alpha, 1 - alpha], 'loss': (loss_sum[k] / n).item(),
                     'accuracy': (correct[k] / n).item(), 'layers': layers})
    seconds = time.perf_counter() - t0
    flops_per_sample = count_flops(model, x[:1])
    return {
        'architecture': model_name, 'layers': hooks, 'samples': n, 'batch': batch, 'threads': torch.get_num_threads(),
        'rows': rows, 'baseline': {h: pair_metrics(ab[h], aa[h], bb[h], 'A_B') for h in hooks},
        'elapsed_seconds': seconds,
        'peak_rss_bytes': peak_rss_bytes(),
        'forward_flops_per_sample': flops_per_sample,
        # every sample through the 2 basis models and the 11 rows
        'flops': flops_per_sample * n * (2 + K),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('command', choices=['make', 'sweep'])
    p.add_argument('--model', choices=sorted(MODELS), required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--dir')
    p.add_argument('--samples', type=int, default=256)
    p.add_argument('--batch', type=int, default=32)
    args = p.parse_args()
    torch.set_num_threads(int(os.environ.get('THREADS', '2')))
    if args.command == 'make':
        make(args.model, args.out, args.samples)
        return
    if not args.dir:
        p.error('sweep needs --dir (the folder `make` wrote)')
    result = sweep(args.model, args.dir, args.batch)
    tmp = args.out + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(result, f)
    os.replace(tmp, args.out)


if __name__ == '__main__':
    main()
