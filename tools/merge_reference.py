"""Independent PyTorch reference of ctlkit's merge methods, written from mergekit's source
(github arcee-ai/mergekit): each function cites the mergekit file and function it follows.
Computes in float64 from float32 inputs (task vectors rounded to float32 first, as mergekit
computes them in its float32 dtype); ties in |x| are broken by index (stable sorts), and the
random methods use ctlkit's counter-based streams (uniform32 below, same as src/merge/methods/rng.ts).
Where mergekit has a bug, the fixed behaviour is computed (see README "Merging").

Usage: /usr/bin/python3 tools/merge_reference.py   (writes test/fixtures/merge/)
"""
import json
import math
import os
import re
import shutil
import sys

import numpy as np
import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.st_io import read_safetensors, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'merge')
M32 = 0xFFFFFFFF


# ---- random streams (ctlkit's, not mergekit's torch.bernoulli) -----------------------------------
def mix32(x):
    """lowbias32 finalizer on uint64 arrays holding u32 values."""
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & M32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & M32
    return x ^ (x >> 16)


def stream_key(seed, tensor, index):
    h = 0x811C9DC5
    for b in f'{seed}\0{tensor}\0{index}'.encode('utf-8'):
        h = ((h ^ b) * 0x01000193) & M32
    k1 = int(mix32(np.array([h ^ 0x9E3779B9], dtype=np.uint64))[0])
    return h, k1


def uniform32(key, n):
    """u32 draws of elements 0..n-1: mix32(mix32(i ^ k0) + k1)."""
    i = np.arange(n, dtype=np.uint64)
    return mix32((mix32(i ^ np.uint64(key[0])) + np.uint64(key[1])) & M32)


def keep_mask(key, p):
    """Element i kept when draw_i < p_i · 2^32 (p a scalar or a tensor of the tensor's shape)."""
    u = torch.from_numpy(uniform32(key, p.numel() if torch.is_tensor(p) else p[1]).astype(np.float64))
    if torch.is_tensor(p):
        return (u.reshape(p.shape) < p * 4294967296.0).double()
    return u < p[0] * 4294967296.0


# ---- sparsify (mergekit/sparsify.py) --------------------------------------------------------------
def rescaled_masked(t, mask, rescale):
    """mergekit/sparsify.py rescaled_masked_tensor with norm l1."""
    masked = t * mask
    if not rescale:
        return masked
    before, after = t.abs().sum(), masked.abs().sum()
    if before < 1e-7 or after < 1e-7:
        return masked
    return masked * (before / after)


def magnitude(t, density, rescale):
    """mergekit/sparsify.py magnitude (stable descending sort; k = 0 keeps nothing)."""
    if density >= 1:
        return t
    k = int(density * t.numel())
    mask = torch.zeros(t.numel(), dtype=torch.float64)
    order = torch.sort(t.abs().reshape(-1), descending=True, stable=True).indices
    mask[order[:k]] = 1
    return rescaled_masked(t, mask.reshape(t.shape), rescale)


def magnitude_outliers(t, density, gamma, rescale):
    """mergekit/sparsify.py magnitude_outliers, with indices[n_bot : n - n_top] (mergekit's
    indices[n_bot:-n_top] is empty when n_top = 0)."""
    if density >= 1:
        return t
    n = t.numel()
    target = int(density * n)
    n_top = int(gamma * n)
    n_bot = n - target - n_top
    if n_bot < 0:
        n_top += n_bot
        n_bot = 0
    order = torch.sort(t.abs().reshape(-1), stable=True).indices
    mask = torch.zeros(n, dtype=torch.float64)
    mask[order[n_bot:n - n_top]] = 1
    return rescaled_masked(t, mask.reshape(t.shape), rescale)


def bernoulli(t, density, rescale, key):
    """mergekit/sparsify.py bernoulli with ctlkit's stream."""
    if density >= 1:
        return t
    mask = keep_mask(key, (density, t.numel())).double().reshape(t.shape)
    return rescaled_masked(t, mask, rescale)


def della_magprune(t, density, epsilon, rescale, key):
    """mergekit/sparsify.py della_magprune: ranks along dim 1 (a vector is one row)."""
    if density >= 1:
        return t
    if density <= 0:
        return torch.zeros_like(t)
    x = t.unsqueeze(0) if t.dim() < 2 else t
    ranks = torch.argsort(torch.argsort(x.abs(), dim=1, stable=True), dim=1).double()  # 0-based
    m = x.shape[1]
    rank_norm = ranks / (m - 1) if m > 1 else torch.full_like(ranks, 0.5)
    probs = (density - epsilon) + rank_norm * 2 * epsilon
    mask = keep_mask(key, probs).reshape(t.shape)
    return rescaled_masked(t, mask, rescale)


# ---- generalized task arithmetic (mergekit/merge_methods/generalized_task_arithmetic.py) ---------
GTA = {  # mergekit/merge_methods/registry.py: consensus, sparsification, normalize, rescale
    'task_arithmetic': (False, None, False, False),
    'ties': (True, 'magnitude', True, False),
    'dare_linear': (False, 'random', False, True),
    'dare_ties': (True, 'random', False, True),
    'breadcrumbs': (False, 'magnitude_outliers', False, False),
    'breadcrumbs_ties': (True, 'magnitude_outliers', False, False),
    'della': (True, 'della_magprune', True, True),
    'della_linear': (False, 'della_magprune', False, True),
}


def gta(name, tensor, base, xs, tparams, g, seed, shape):
    """GTATask.execute + get_mask(method='sum'); sign_election: paper elects on unweighted deltas."""
    consensus, sp, _, _ = GTA[name]
    if not xs:
        return base
    deltas = []
    for (x, idx), p in zip(xs, tparams):
        d = (x.float() - base.float()).double()
        if sp == 'magnitude':
            d = magnitude(d, p['density'], g['rescale'])
        elif sp == 'random':
            d = bernoulli(d, p['density'], g['rescale'], stream_key(seed, tensor, idx))
        elif sp == 'magnitude_outliers':
            d = magnitude_outliers(d, p['density'], p['gamma'], g['rescale'])
        elif sp == 'della_magprune':
            d = della_magprune(d, p['density'], p['epsilon'], g['rescale'], stream_key(seed, tensor, idx))
        deltas.append(d)
    deltas = torch.stack(deltas)
    w = torch.tensor([p['weight'] for p in tparams], dtype=torch.float64).reshape([-1] + [1] * base.dim())
    wd = deltas * w
    if consensus:
        votes = deltas if g.get('sign_election') == 'paper' else wd
        elected = (votes.sum(0) >= 0).double() * 2 - 1
        mask = (votes.sign() == elected).double()
        mixed = (wd * mask).sum(0)
        div = (w * mask).sum(0)
        div[div == 0] = 1
    else:
        mixed = wd.sum(0)
        div = w.sum(0).expand_as(mixed).clone()
        div[div.abs() < 1e-8] = 1
    if g['normalize']:
        mixed = mixed / div
    return base.double() + g['lambda'] * mixed


# ---- the other methods ------------------------------------------------------------------------------
def linear(xs, tparams, g):
    """mergekit/merge_methods/linear.py LinearMergeTask.execute."""
    w = torch.tensor([p['weight'] for p in tparams], dtype=torch.float64)
    stack = torch.stack([x.double() for x, _ in xs])
    res = (stack * w.reshape([-1] + [1] * (stack.dim() - 1))).sum(0)
    return res / w.sum() if g['normalize'] else res


def slerp(t, v0, v1):
    """mergekit/merge_methods/slerp.py slerp (DOT_THRESHOLD 0.9995, eps 1e-8)."""
    a, b = v0.double(), v1.double()
    na, nb = a.norm(), b.norm()
    ua = a / na if na > 1e-8 else a
    ub = b / nb if nb > 1e-8 else b
    dot = (ua * ub).sum()
    if dot.abs() > 0.9995:
        return (1 - t) * a + t * b
    th = torch.arccos(dot)
    return torch.sin(th - th * t) / torch.sin(th) * a + torch.sin(th * t) / torch.sin(th) * b


def nuslerp_vec(t, v0, v1, dim, flatten):
    """mergekit/merge_methods/nuslerp.py nuslerp."""
    shape = v0.shape
    if flatten:
        v0, v1 = v0.reshape(-1), v1.reshape(-1)
    elif dim != -1:
        v0, v1 = v0.transpose(dim, -1), v1.transpose(dim, -1)
    n0 = v0 / v0.norm(dim=-1, keepdim=True).clamp(min=1e-7)
    n1 = v1 / v1.norm(dim=-1, keepdim=True).clamp(min=1e-7)
    th = torch.acos((n0 * n1).sum(-1, keepdim=True).clamp(-1, 1))
    s = torch.sin(th)
    res = (torch.sin((1 - t) * th) * v0 + torch.sin(t * th) * v1) / s
    lin = (s.abs() < 1e-8).expand_as(res)
    res = torch.where(lin, (1 - t) * v0 + t * v1, res)
    if dim != -1 and not flatten:
        res = res.transpose(dim, -1)
    return res.reshape(shape)


def nuslerp(base, xs, tparams, g):
    w0, w1 = tparams[0]['weight'], tparams[1]['weight']
    t = 0.5 if abs(w0 + w1) < 1e-6 else w1 / (w0 + w1)
    a, b = xs[0][0].double(), xs[1][0].double()
    dim = 0 if g['nuslerp_row_wise'] else -1
    if base is not None:
        return base.double() + nuslerp_vec(t, a - base.double(), b - base.double(), dim, g['nuslerp_flatten'])
    return nuslerp_vec(t, a, b, dim, g['nuslerp_flatten'])


def model_stock(base, xs, g):
    """mergekit/merge_methods/model_stock.py ModelStockMergeTask.execute."""
    w0 = base.double()
    ws = [x.double() for x, _ in xs]
    shape = w0.shape
    if g['filter_wise']:
        if w0.dim() == 1:
            w0, ws = w0.unsqueeze(0), [w.unsqueeze(0) for w in ws]
    else:
        w0, ws = w0.reshape(-1), [w.reshape(-1) for w in ws]
    off = [w - w0 for w in ws]
    cs = []
    for i in range(len(off)):
        for j in range(i + 1, len(off)):
            prod = off[i].norm(dim=-1) * off[j].norm(dim=-1)
            cs.append(((off[i] * off[j]).sum(-1) / prod.clamp(min=1e-6)).clamp(-1, 1))
    cos = torch.stack(cs).mean(0).unsqueeze(-1)
    n = len(ws)
    t = n * cos / (1 + (n - 1) * cos)
    return (t * (sum(ws) / n) + (1 - t) * w0).reshape(shape)


def karcher(xs, g):
    """mergekit/merge_methods/karcher.py karcher_merge_tensors (equal weights)."""
    ts = [x.double() for x, _ in xs]
    if len(ts) == 1:
        return ts[0]
    tol, alphas = g['tol'], [1.0 / len(ts)] * len(ts)
    norms = [t.norm().item() for t in ts]
    units = [torch.zeros_like(t) if n == 0 else t / n for t, n in zip(ts, norms)]
    valid = [i for i, n in enumerate(norms) if n > tol]
    if not valid:
        return torch.zeros_like(ts[0])
    asum = sum(alphas[i] for i in valid)
    a = [alphas[i] / asum for i in valid]
    us = [units[i] for i in valid]
    u = sum(ai * ui for ai, ui in zip(a, us))
    nu = u.norm().item()
    u = us[0].clone() if nu < tol else u / nu
    for _ in range(int(g['max_iter'])):
        T = torch.zeros_like(u)
        for ai, ui in zip(a, us):
            d = torch.clamp((u.flatten() * ui.flatten()).sum(), -1.0, 1.0)
            th = torch.arccos(d)
            if th.item() < tol:
                continue
            T += ai * (th / torch.sin(th)) * (ui - d * u)
        nt = T.norm()
        if nt.item() < tol:
            break
        u = torch.cos(nt) * u + torch.sin(nt) * (T / nt)
        un = u.norm()
        if un.item() > tol:
            u = u / un
    return sum(al * n for al, n in zip(alphas, norms)) * u


def multislerp(base, xs, tparams, g):
    """mergekit/merge_methods/multislerp.py multislerp."""
    if len(xs) == 1:
        return xs[0][0].double()
    eps = g['eps']
    t = torch.stack([x.double() for x, _ in xs])
    if base is not None:
        t = t - base.double()
    flat = t.reshape(t.shape[0], -1)
    w = torch.tensor([p['weight'] for p in tparams], dtype=torch.float64)
    if g['normalize_weights']:
        w = w / w.sum()
    norms = flat.norm(dim=-1, keepdim=True)
    unit = flat / (norms + eps)
    mean = (unit * w.reshape(-1, 1)).sum(0)
    mean = mean / mean.norm()
    tang = ((unit - (unit * mean).sum(-1, keepdim=True) * mean) * w.reshape(-1, 1)).sum(0)
    tn = tang.norm() + eps
    res = (mean * torch.cos(tn) + tang * (torch.sin(tn) / tn)) * (norms.squeeze(-1) * w).sum()
    res = res.reshape(t.shape[1:])
    return res + base.double() if base is not None else res


def sce(base, xs, g):
    """mergekit/merge_methods/sce.py sce_merge, sce_weight, sce_mask (select_topk ≤ 0: every
    task vector zeroed, mask of one tensor's shape)."""
    if not xs:
        return base.double()
    tv = torch.stack([(x.float() - base.float()).double() for x, _ in xs])
    topk = g['select_topk']
    if topk < 1:
        if topk <= 0:
            mask = torch.zeros(tv.shape[1:], dtype=torch.float64)
        else:
            var = ((tv - tv.mean(0)) ** 2).mean(0)
            var = var.float()  # ctlkit ranks float32 variances
            k = int(int(torch.count_nonzero(var)) * topk)
            mask = torch.zeros(var.numel(), dtype=torch.float64)
            order = torch.sort(var.abs().reshape(-1), descending=True, stable=True).indices
            mask[order[:k]] = 1
            mask = mask.reshape(var.shape)
        tv = tv * mask.unsqueeze(0)
    elected = (tv.sum(0) >= 0).double() * 2 - 1
    erase = (tv.sign() == elected).double()
    wts = (tv ** 2).mean(dim=list(range(1, tv.dim())))
    s = wts.sum().item()
    wts = torch.ones_like(wts) / wts.shape[0] if abs(s) < 1e-6 else wts / s
    ew = wts.reshape([-1] + [1] * (tv.dim() - 1)) * erase
    return base.double() + (tv * ew).sum(0) / ew.sum(0).clamp(min=1e-6)


def nearswap(base, xs, g):
    """mergekit/merge_methods/nearswap.py nearswap_merge."""
    a, b = base.double(), xs[0][0].double()
    w = (g['t'] / (a - b).abs().clamp(min=1e-6)).clamp(min=0, max=1)
    return w * b + (1 - w) * a


# ---- configs (mergekit/config.py evaluate_setting, ConfigReader.parameter; plan.py layers) --------
DEFAULTS = {  # global parameters and per-model parameters with mergekit's defaults (None: required)
    'linear': ({'normalize': True}, {'weight': None}),
    'slerp': ({'t': None}, {}),
    'nuslerp': ({'nuslerp_row_wise': False, 'nuslerp_flatten': True}, {'weight': None}),
    'model_stock': ({'filter_wise': False}, {}),
    'karcher': ({'max_iter': 10, 'tol': 1e-5}, {}),
    'multislerp': ({'normalize_weights': True, 'eps': 1e-8}, {'weight': None}),
    'sce': ({'int8_mask': False, 'select_topk': 1.0}, {}),
    'nearswap': ({'t': None}, {}),
    'passthrough': ({}, {'scale': 'unset'}),
}
for _name, (_c, _sp, _norm, _resc) in GTA.items():
    _tp = {'weight': None, 'density': 1.0}
    if _sp == 'magnitude_outliers':
        _tp['gamma'] = 0.01
    if _sp == 'della_magprune':
        _tp['epsilon'] = 0.15
    _gp = {'int8_mask': False, 'normalize': _norm, 'rescale': _resc, 'lambda': 1.0}
    if _c:
        _gp['sign_election'] = 'mergekit'
    DEFAULTS[_name] = (_gp, _tp)


def evaluate(setting, tensor, t):
    if isinstance(setting, (int, float, bool, str)):
        return setting
    if isinstance(setting, dict):
        setting = [setting]
    if all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in setting):
        scaled = t * (len(setting) - 1)
        i0 = int(scaled)
        i1 = min(len(setting) - 1, i0 + 1)
        frac = scaled - i0
        return (1 - frac) * setting[i0] + frac * setting[i1]
    if all(isinstance(e, (int, float, bool, str)) for e in setting):
        return setting[int(t * (len(setting) - 1))]
    for c in setting:
        f = c.get('filter')
        if f is None or f == '*' or f in tensor:
            return evaluate(c['value'], tensor, t)
    return None


def lookup(name, chain, tensor, t, default):
    for ps in chain:
        if ps and name in ps:
            v = evaluate(ps[name], tensor, t)
            if v is not None:
                return v
    return default


def layer_of(name):
    for i, p in enumerate(name.split('.')):
        if re.fullmatch(r'\d+', p):
            return int(p), i
    return None


def rename(name, layer):
    parts = name.split('.')
    parts[layer_of(name)[1]] = str(layer)
    return '.'.join(parts)


def run_config(cfg, models, seed):
    """models: {path: {name: tensor}}. Returns {name: float64 tensor or int tensor}."""
    method = cfg['merge_method']
    gdef, tdef = DEFAULTS[method]
    out = {}

    def one(out_name, t, srcs, base_src, slice_params):
        """srcs: [(path, tensor name, model params, index)]; base_src the same or None."""
        tmpl = models[(base_src or srcs[0])[0]][(base_src or srcs[0])[1]]
        if not tmpl.is_floating_point():
            out[out_name] = tmpl
            return
        g = {k: lookup(k, [slice_params, cfg.get('parameters')], out_name, t, v) for k, v in gdef.items()}
        others = [s for s in srcs if base_src is None or s[0] != base_src[0]]
        if method in ('linear', 'passthrough'):
            others = [s for s in srcs if s[3] is not None]
        if method == 'karcher':
            others = srcs
        xs = [(models[p][n], idx) for p, n, _, idx in others]
        tp = [{k: lookup(k, [mp, slice_params, cfg.get('parameters')], out_name, t, v) for k, v in tdef.items()} for _, _, mp, _ in others]
        base = models[base_src[0]][base_src[1]] if base_src else None
        if method in GTA:
            r = gta(method, out_name, base, xs, tp, g, seed, base.shape)
        elif method == 'linear':
            r = linear(xs, tp, g)
        elif method == 'slerp':
            r = slerp(g['t'], base, xs[0][0])
        elif method == 'nuslerp':
            r = nuslerp(base, xs, tp, g)
        elif method == 'model_stock':
            r = model_stock(base, xs, g)
        elif method == 'karcher':
            r = karcher(xs, g)
        elif method == 'multislerp':
            r = multislerp(base, xs, tp, g)
        elif method == 'sce':
            r = sce(base, xs, g)
        elif method == 'nearswap':
            r = nearswap(base, xs, g)
        elif method == 'passthrough':
            r = xs[0][0].double() * (tp[0]['scale'] if tp[0]['scale'] != 'unset' else 1.0)
        out[out_name] = r

    base_path = cfg.get('base_model')
    if 'models' in cfg:
        srcs = [(m['model'], m.get('parameters'), i) for i, m in enumerate(cfg['models'])]
        if base_path and base_path not in [s[0] for s in srcs]:
            srcs.append((base_path, None, None if method in ('linear', 'passthrough') else len(srcs)))
        tmpl_path = base_path or srcs[0][0]
        names = sorted(models[tmpl_path])
        nl = max([layer_of(n)[0] + 1 for n in names if layer_of(n)] + [0])
        for n in names:
            lo = layer_of(n)
            t = 0 if lo is None else (lo[0] / (nl - 1) if nl > 1 else 1)
            s = [(p, n, mp, i) for p, mp, i in srcs]
            b = next((x for x in s if x[0] == base_path), None) if method not in ('linear', 'passthrough') else None
            one(n, t, s, b, None)
        return out
    first = cfg['slices'][0]['sources'][0]['model']
    for n in sorted(models[first]):
        if layer_of(n) is None:
            s0 = cfg['slices'][0]
            one(n, 0, [(x['model'], n, x.get('parameters'), j) for j, x in enumerate(s0['sources'])], None, s0.get('parameters'))
    o = 0
    for sl in cfg['slices']:
        lo, hi = sl['sources'][0]['layer_range']
        for idx in range(hi - lo):
            t = idx / (hi - lo - 1) if hi - lo > 1 else 1
            tm = sl['sources'][0]
            for n in sorted(models[tm['model']]):
                if layer_of(n) is None or layer_of(n)[0] != tm['layer_range'][0] + idx:
                    continue
                s = [(x['model'], rename(n, x['layer_range'][0] + idx), x.get('parameters'), j) for j, x in enumerate(sl['sources'])]
                bp = sl.get('base_model', base_path)
                b = next((x for x in s if x[0] == bp), None) if bp and method not in ('linear', 'passthrough') else None
                one(rename(n, o), t, s, b, sl.get('parameters'))
            o += 1
    return out


# ---- fixtures ---------------------------------------------------------------------------------------
SHAPES = {
    'model.embed_tokens.weight': [7, 5],
    'model.norm.weight': [5],
    'lm_head.bias': [7],
    'step': None,
}
for _l in range(3):
    SHAPES[f'model.layers.{_l}.self_attn.q_proj.weight'] = [5, 5]
    SHAPES[f'model.layers.{_l}.mlp.up_proj.weight'] = [6, 5]
    SHAPES[f'model.layers.{_l}.conv.weight'] = [3, 4, 3]
    SHAPES[f'model.layers.{_l}.input_layernorm.weight'] = [5]

MODELS = {'base': torch.float32, 'a': torch.bfloat16, 'b': torch.float16, 'c': torch.float32}

CASES = {
    'linear': 'merge_method: linear\nmodels:\n  - {model: a, parameters: {weight: [0.2, 0.8]}}\n  - {model: b, parameters: {weight: 0.5}}\n  - {model: c, parameters: {weight: 0.3}}\n',
    'linear_unnormalized': 'merge_method: linear\nparameters: {normalize: false}\nmodels:\n  - {model: a, parameters: {weight: 0.7}}\n  - {model: base, parameters: {weight: -0.4}}\n',
    'task_arithmetic': 'merge_method: task_arithmetic\nbase_model: base\nparameters: {lambda: 0.9}\nmodels:\n  - {model: a, parameters: {weight: 0.7}}\n  - model: b\n    parameters:\n      weight: [{filter: mlp, value: 0.1}, {value: 0.4}]\n',
    'ties': 'merge_method: ties\nbase_model: base\nparameters: {weight: 1.0}\nmodels:\n  - {model: a, parameters: {weight: 0.6, density: 0.5}}\n  - {model: b, parameters: {weight: 0.0, density: 0.7}}\n  - {model: c, parameters: {density: [0.3, 0.9]}}\n',
    'ties_paper': 'merge_method: ties\nbase_model: base\nparameters: {sign_election: paper, normalize: false}\nmodels:\n  - {model: a, parameters: {weight: 0.6, density: 0.5}}\n  - {model: b, parameters: {weight: -0.5, density: 0.7}}\n  - {model: c, parameters: {weight: 0.3, density: 0.4}}\n',
    'dare_linear': 'merge_method: dare_linear\nbase_model: base\nmodels:\n  - {model: a, parameters: {weight: 0.6, density: 0.6}}\n  - {model: b, parameters: {weight: 0.5, density: 0.3}}\n',
    'dare_ties': 'merge_method: dare_ties\nbase_model: base\nparameters: {density: 0.5}\nmodels:\n  - {model: a, parameters: {weight: 0.6}}\n  - {model: b, parameters: {weight: 0.5}}\n  - {model: c, parameters: {weight: 0.4}}\n',
    'breadcrumbs': 'merge_method: breadcrumbs\nbase_model: base\nmodels:\n  - {model: a, parameters: {weight: 0.6, density: 0.8, gamma: 0.1}}\n  - {model: b, parameters: {weight: 0.5, density: 0.9}}\n',
    'breadcrumbs_ties': 'merge_method: breadcrumbs_ties\nbase_model: base\nparameters: {rescale: true}\nmodels:\n  - {model: a, parameters: {weight: 0.6, density: 0.7, gamma: 0.05}}\n  - {model: b, parameters: {weight: 0.5, density: 0.6, gamma: 0.1}}\n',
    'della': 'merge_method: della\nbase_model: base\nmodels:\n  - {model: a, parameters: {weight: 0.6, density: 0.5, epsilon: 0.1}}\n  - {model: b, parameters: {weight: 0.5, density: 0.4}}\n',
    'della_linear': 'merge_method: della_linear\nbase_model: base\nparameters: {lambda: 1.1}\nmodels:\n  - {model: a, parameters: {weight: 0.6, density: 0.6, epsilon: 0.2}}\n  - {model: c, parameters: {weight: 0.5, density: 0.5}}\n',
    'slerp': 'merge_method: slerp\nbase_model: base\nparameters:\n  t: [{filter: self_attn, value: [0.1, 0.9]}, {value: 0.35}]\nmodels:\n  - {model: base}\n  - {model: a}\n',
    'nuslerp': 'merge_method: nuslerp\nmodels:\n  - {model: a, parameters: {weight: 0.3}}\n  - {model: b, parameters: {weight: 0.6}}\n',
    'nuslerp_rows_base': 'merge_method: nuslerp\nbase_model: base\nparameters: {nuslerp_flatten: false, nuslerp_row_wise: true}\nmodels:\n  - {model: a, parameters: {weight: 0.3}}\n  - {model: c, parameters: {weight: 0.6}}\n',
    'nuslerp_lastdim': 'merge_method: nuslerp\nparameters: {nuslerp_flatten: false}\nmodels:\n  - {model: a, parameters: {weight: 0.5}}\n  - {model: c, parameters: {weight: 0.5}}\n',
    'model_stock': 'merge_method: model_stock\nbase_model: base\nmodels:\n  - {model: a}\n  - {model: b}\n  - {model: c}\n',
    'model_stock_filter': 'merge_method: model_stock\nbase_model: base\nparameters: {filter_wise: true}\nmodels:\n  - {model: a}\n  - {model: c}\n',
    'karcher': 'merge_method: karcher\nmodels:\n  - {model: a}\n  - {model: b}\n  - {model: c}\n',
    'multislerp': 'merge_method: multislerp\nmodels:\n  - {model: a, parameters: {weight: 0.5}}\n  - {model: b, parameters: {weight: 0.3}}\n  - {model: c, parameters: {weight: 0.2}}\n',
    'multislerp_base': 'merge_method: multislerp\nbase_model: base\nmodels:\n  - {model: a, parameters: {weight: 1.0}}\n  - {model: c, parameters: {weight: 2.0}}\n',
    'sce': 'merge_method: sce\nbase_model: base\nparameters: {select_topk: 0.5}\nmodels:\n  - {model: a}\n  - {model: b}\n  - {model: c}\n',
    'sce_zero': 'merge_method: sce\nbase_model: base\nparameters: {select_topk: 0.0}\nmodels:\n  - {model: a}\n  - {model: b}\n',
    'nearswap': 'merge_method: nearswap\nbase_model: base\nparameters: {t: 0.02}\nmodels:\n  - {model: a}\n',
    'passthrough': 'merge_method: passthrough\nslices:\n  - sources: [{model: a, layer_range: [0, 2]}]\n  - sources: [{model: b, layer_range: [1, 3], parameters: {scale: [{filter: mlp, value: 0.5}]}}]\n',
}
SEED = 7


def make_models():
    g = torch.Generator().manual_seed(15)
    base = {}
    for n, s in SHAPES.items():
        base[n] = torch.tensor(3, dtype=torch.int64) if s is None else torch.randn(s, generator=g, dtype=torch.float32)
    out = {}
    for m, dt in MODELS.items():
        if m == 'base':
            t = dict(base)
        else:
            t = {n: (v if not v.is_floating_point() else (v + 0.05 * torch.randn(v.shape, generator=g))) for n, v in base.items()}
        out[m] = {n: (v.to(dt) if v.is_floating_point() else v) for n, v in t.items()}
    return out


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    models = make_models()
    for m, ts in models.items():
        os.makedirs(os.path.join(OUT, m))
        write_safetensors(os.path.join(OUT, m, 'model.safetensors'), dict(sorted(ts.items())))
        with open(os.path.join(OUT, m, 'config.json'), 'w') as f:
            json.dump({'model_type': 'llama', 'num_hidden_layers': 3, 'torch_dtype': str(MODELS[m]).split('.')[-1]}, f)
    # inputs as ctlkit reads them: float32
    loaded = {m: {n: (v.float() if v.is_floating_point() else v) for n, v in read_safetensors(os.path.join(OUT, m, 'model.safetensors')).items()} for m in models}
    for case, text in CASES.items():
        cfg = yaml.safe_load(text)
        with open(os.path.join(OUT, f'{case}.yml'), 'w') as f:
            f.write(text)
        res = run_config(cfg, loaded, SEED)
        out = {n: (v.float() if v.is_floating_point() else v) for n, v in sorted(res.items())}
        write_safetensors(os.path.join(OUT, f'{case}.expected.safetensors'), out, {'seed': str(SEED)})
    print(f'wrote {len(CASES)} cases to {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
