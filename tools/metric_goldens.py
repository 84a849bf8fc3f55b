"""Goldens for every `--metric` of ctlkit sweep: the paper's released code's dissimilarities re-implemented
from zzp1012/Cross-Task-Linearity, task_arithemetic/src/utils/dissimilarity.py (DissimilarityMetric:
__preprocess, __lin_cka_dist, __lin_cka_prime_dist, __procrustes, __vanilla, __abs_div,
__cosine_similarity; DissimilarityMetricOverSamples: __vanilla, __abs_div, __cosine_similarity), with
the field names of task_arithemetic/scripts/cross-task-linearity.py (eval_linearity).

The formulas are the released ones on the whole D x N (or N x D) feature matrices, in float64: the
released code runs __preprocess, the CKA metrics, Procrustes and vanilla in the features' own dtype
(float32) and only cosine and abs_div in float64; here everything is cast to float64 first so the
streamed float64 results can be held to 1e-9. Nuclear norms come from torch's SVD of the D x D matrix
A Bᵀ, CKA from the D x D products: neither goes through N x N Gram matrices as ctlkit does.

Input: the reference backend's features of each sweep (tools/dump_metric_features.mjs writes
<dir>/<family>/<case>.features.safetensors and <case>.spec.json). Output:
test/fixtures/metric_sweeps/<family>/<case>.json.

    node tools/dump_metric_features.mjs /tmp/mf && /usr/bin/python3 tools/metric_goldens.py /tmp/mf
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.jsonio import write_json  # noqa: E402
from fixtures.st_io import read_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS = ['cosine', 'vanilla', 'abs_div', 'lin_cka', 'lin_cka_prime', 'procrustes']
OVER_SAMPLES = {'cosine', 'vanilla', 'abs_div'}


def preprocess(x):
    """DissimilarityMetric.__preprocess: flatten to (N, D), transpose, centre over samples, / Frobenius."""
    x = x.reshape(x.shape[0], -1).t()
    x = x - x.mean(dim=-1, keepdim=True)
    return x / torch.norm(x, p='fro')


def whole(metric, a, b):
    """DissimilarityMetric(metric)(A, B), float64; returns (dist, coef) (coef 0 where the metric has none)."""
    a = a.reshape(a.shape[0], -1).double()
    b = b.reshape(b.shape[0], -1).double()
    if metric == 'cosine':
        inner = torch.sum(a * b)
        an, bn = torch.norm(a, p='fro'), torch.norm(b, p='fro')
        return float(1 - torch.abs(inner) / (an * bn)), float(inner / bn ** 2)
    if metric == 'vanilla':
        return float(torch.sum((a - b) ** 2) / torch.norm(a, p='fro') / torch.norm(b, p='fro')), 0.0
    if metric == 'abs_div':
        return float(torch.sum(torch.abs(a)) / torch.sum(torch.abs(b))), 0.0
    A, B = preprocess(a), preprocess(b)
    if metric == 'lin_cka':
        sim = torch.norm(B @ A.t(), p='fro') ** 2
        return float(1 - sim / (torch.norm(A @ A.t(), p='fro') * torch.norm(B @ B.t(), p='fro'))), 0.0
    if metric == 'lin_cka_prime':
        den = torch.sum(A ** 2) ** 2 + torch.sum(B ** 2) ** 2
        if A.shape[0] > A.shape[1]:  # D > N
            return float(torch.sum((A.t() @ A - B.t() @ B) ** 2) / den), 0.0
        return float(1 - 2 * torch.norm(B @ A.t(), p='fro') ** 2 / den), 0.0
    if metric == 'procrustes':
        return float(torch.sum(A ** 2) + torch.sum(B ** 2) - 2 * torch.norm(A @ B.t(), p='nuc')), 0.0
    raise ValueError(metric)


def over_samples(metric, a, b):
    """DissimilarityMetricOverSamples(metric)(A, B), float64: per-sample (dist, coef) tensors."""
    a = a.reshape(a.shape[0], -1).double()
    b = b.reshape(b.shape[0], -1).double()
    if metric == 'cosine':
        inner = torch.sum(a * b, dim=-1)
        an, bn = torch.norm(a, p='fro', dim=-1), torch.norm(b, p='fro', dim=-1)
        dist, coef = 1 - torch.abs(inner) / (an * bn), inner / bn ** 2
        # ctlkit's documented zero-norm rule (the released code gives NaN): a zero sample on one side
        # is at distance 1 (coefficient 0), on both sides at distance 0 (coefficient 1)
        both, one = (an == 0) & (bn == 0), (an == 0) | (bn == 0)
        dist = torch.where(both, torch.zeros_like(dist), torch.where(one, torch.ones_like(dist), dist))
        coef = torch.where(bn == 0, torch.where(an == 0, torch.ones_like(coef), torch.zeros_like(coef)), coef)
        return dist, coef
    if metric == 'vanilla':
        d = torch.sum((a - b) ** 2, dim=-1) / torch.norm(a, p='fro', dim=-1) / torch.norm(b, p='fro', dim=-1)
    else:
        d = torch.sum(torch.abs(a), dim=-1) / torch.sum(torch.abs(b), dim=-1)
    return d, torch.zeros_like(d)


def fields(metric, items):
    """eval_linearity's names: dist_/coef_<tag> then the over-samples mean/std; dist-only comparisons
    (the released dist_alpha_A / dist_alpha_B) last. ctlkit's own cos_<tag>_over_samples_mean for cosine."""
    per = metric in OVER_SAMPLES
    out = {}
    for tag, kind, a, b in items:
        if kind == 'dist':
            continue
        d, c = whole(metric, a, b)
        out[f'dist_{tag}'], out[f'coef_{tag}'] = d, c
        if per:
            dn, cn = over_samples(metric, a, b)
            out[f'dist_{tag}_over_samples_mean'] = float(dn.mean())
            out[f'dist_{tag}_over_samples_std'] = float(dn.std())
            out[f'coef_{tag}_over_samples_mean'] = float(cn.mean())
            out[f'coef_{tag}_over_samples_std'] = float(cn.std())
            if metric == 'cosine' and kind == 'distCoefCos':
                fa, fb = a.reshape(a.shape[0], -1).double(), b.reshape(b.shape[0], -1).double()
                na, nb = torch.norm(fa, dim=-1), torch.norm(fb, dim=-1)
                cos = torch.sum(fa * fb, -1) / (na * nb)
                cos = torch.where((na == 0) & (nb == 0), torch.ones_like(cos), torch.where((na == 0) | (nb == 0), torch.zeros_like(cos), cos))
                out[f'cos_{tag}_over_samples_mean'] = float(cos.mean())
    dist_only = [it for it in items if it[1] == 'dist']
    for tag, _, a, b in dist_only:
        out[f'dist_{tag}'] = whole(metric, a, b)[0]
    if per:
        for tag, _, a, b in dist_only:
            dn, _ = over_samples(metric, a, b)
            out[f'dist_{tag}_over_samples_mean'] = float(dn.mean())
            out[f'dist_{tag}_over_samples_std'] = float(dn.std())
    return out


def finite_or_none(x):
    """NaN / Inf (a zero sample divided by, as torch does) as JSON null."""
    if isinstance(x, dict):
        return {k: finite_or_none(v) for k, v in x.items()}
    if isinstance(x, list):
        return [finite_or_none(v) for v in x]
    return None if isinstance(x, float) and not math.isfinite(x) else x


def golden(spec, feats):
    m = len(spec['coefficients'][0])
    out = {'family': spec['family'], 'case': spec['case'], 'samples': spec['samples'], 'layers': spec['layers'],
           'coefficients': spec['coefficients'], 'metrics': {}}
    for metric in METRICS:
        rows, baseline = [{} for _ in spec['coefficients']], {}
        for hook in spec['layers']:
            basis = [feats[f'{hook}.b{j}'].double() for j in range(m)]
            combo = lambda c: sum(float(w) * x for w, x in zip(c, basis))  # noqa: E731  (float64)
            for k, coeffs in enumerate(spec['coefficients']):
                lane = spec['lanes'][hook][k]
                f = feats[f'{hook}.{lane}'].double()
                items = [(r['tag'], r['fields'], f, combo(coeffs if r['against'] == 'own' else r['against'])) for r in spec['rows']]
                rows[k][hook] = fields(metric, items)
            if spec['basis']:
                baseline[hook] = fields(metric, [(b['tag'], b['fields'], combo(b['left']), combo(b['right'])) for b in spec['basis']])
        out['metrics'][metric] = {'rows': rows, **({'baseline': baseline} if spec['basis'] else {})}
    return out


def main(argv):
    if len(argv) != 1:
        sys.exit('usage: metric_goldens.py <dir from tools/dump_metric_features.mjs>')
    torch.set_default_dtype(torch.float64)
    src = argv[0]
    for family in sorted(os.listdir(src)):
        for name in sorted(os.listdir(os.path.join(src, family))):
            if not name.endswith('.spec.json'):
                continue
            case = name[:-len('.spec.json')]
            with open(os.path.join(src, family, name), encoding='utf-8') as f:
                spec = json.load(f)
            feats = read_safetensors(os.path.join(src, family, f'{case}.features.safetensors'))
            dst = os.path.join(ROOT, 'test', 'fixtures', 'metric_sweeps', family)
            os.makedirs(dst, exist_ok=True)
            write_json(os.path.join(dst, f'{case}.json'), finite_or_none(golden(spec, feats)))
            print(f'{family} {case}')


if __name__ == '__main__':
    main(sys.argv[1:])
