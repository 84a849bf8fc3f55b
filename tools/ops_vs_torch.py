"""Recomputes every backend-ops case with PyTorch (float32, CPU) and compares with the reference
backend's outputs written by tools/dump_op_cases.mjs: same shapes, NaN/±Inf at the same positions,
normalised MSE within the case's tolerance. Proves the oracle and the tolerances against an
independent float32 implementation. Run by hand (Debian's python3-torch):
    node tools/dump_op_cases.mjs /tmp/op_cases.json && /usr/bin/python3 tools/ops_vs_torch.py /tmp/op_cases.json
"""
import json
import math
import sys

import torch
import torch.nn.functional as F


def tensor(t):
    data = torch.tensor([float(v) for v in t["data"]], dtype=torch.float64)
    return data.to(torch.int64 if t["int"] else torch.float32).reshape(t["shape"])


def resolve(a, inputs):
    if isinstance(a, dict) and "input" in a:
        return inputs[a["input"]]
    if isinstance(a, dict) and "f64" in a:
        return a["f64"]
    if isinstance(a, dict) and set(a) == {"basis", "coeffs"}:  # a WeightSum: Σ_j c_j W_j in float64, rounded once
        return combined(resolve(a["basis"], inputs), resolve(a["coeffs"], inputs)).float()
    if isinstance(a, list):
        return [resolve(x, inputs) for x in a]
    if isinstance(a, dict):
        return {k: resolve(v, inputs) for k, v in a.items()}
    return a


def attention(qkv, heads, causal):
    n, t, d3 = qkv.shape
    d = d3 // 3
    e = d // heads
    q, k, v = (z.reshape(n, t, heads, e).transpose(1, 2) for z in qkv.split(d, -1))
    scores = q @ k.transpose(-1, -2) / math.sqrt(e)
    if causal:
        scores = scores.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
    return (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, t, d)


def products(f, basis):
    fd = f.double().reshape(f.shape[0], -1)
    dots = torch.stack([(fd * b.double().reshape(f.shape[0], -1)).sum(1) for b in basis], 1).reshape(-1)
    return [dots, (fd * fd).sum(1)]


def conv_epilogue(y, ep):
    """BatchNorm (eval) → + residual → ReLU, as the Backend contract's ConvEpilogue defines it"""
    if not ep:
        return y
    bn = ep.get("batchNorm")
    if bn:
        y = F.batch_norm(y, bn["mean"], bn["variance"], bn["weight"], bn["bias"], False, 0.0, bn["eps"])
    if ep.get("residual") is not None:
        y = y + ep["residual"]
    return F.relu(y) if ep.get("relu") else y


def combined(basis, c):
    return sum(c[j] * basis[j].double() for j in range(len(basis)))


def rms_norm(x, w, eps, unit):
    x = x.double()
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * ((1 + w.double()) if unit else w.double())


def rope(x, cos, sin):
    """HF apply_rotary_pos_emb on the first R = 2·half dims of each head: x·cos + rotate_half(x)·sin."""
    r = 2 * cos.shape[1]
    x = x.double()
    c = torch.cat([cos, cos], -1).double()[None, :, None, :]
    s = torch.cat([sin, sin], -1).double()[None, :, None, :]
    xr = x[..., :r]
    rot = torch.cat([-xr[..., r // 2:], xr[..., :r // 2]], -1)
    return torch.cat([xr * c + rot * s, x[..., r:]], -1)


def grouped_attention(q, k, v, o):
    """repeat_kv + eager attention (HF eager_attention_forward), float64."""
    n, t, _ = q.shape
    s, h, hk = k.shape[1], o["heads"], o["kvHeads"]
    e = q.shape[2] // h
    qh = q.double().reshape(n, t, h, e).transpose(1, 2)
    kh = k.double().reshape(n, s, hk, e).transpose(1, 2).repeat_interleave(h // hk, 1)
    vh = v.double().reshape(n, s, hk, e).transpose(1, 2).repeat_interleave(h // hk, 1)
    sc = qh @ kh.transpose(2, 3) * o["scale"]
    if o.get("softcap"):
        sc = torch.tanh(sc / o["softcap"]) * o["softcap"]
    i, j = torch.arange(t)[:, None], torch.arange(s)[None, :]
    allowed = torch.ones(t, s, dtype=torch.bool)
    if o["causal"]:
        allowed &= j <= i
    if o.get("window"):
        allowed &= j > i - o["window"]
    sc = sc.masked_fill(~allowed, -math.inf)
    return (torch.softmax(sc, -1) @ vh).transpose(1, 2).reshape(n, t, h * e)


OPS = {
    "rmsNorm": lambda x, w, eps, unit: [rms_norm(x, w, eps, unit)],
    "rope": lambda x, c, s: [rope(x, c, s)],
    "silu": lambda x: [F.silu(x.double())],
    "mul": lambda a, b: [a * b],
    "groupedAttention": lambda q, k, v, o: [grouped_attention(q, k, v, o)],
    "narrow": lambda x, start, length: [x[..., start:start + length]],
    "softcap": lambda x, cap: [torch.tanh(x.double() / cap) * cap],
    "matmul": lambda a, b, tb: [a @ (b.t() if tb else b)],
    "linear": lambda x, w, b, layout: [F.linear(x, w if layout == "outIn" else w.t(), b)],
    "conv2d": lambda x, w, b, o, epilogue=None: [conv_epilogue(F.conv2d(x, w, b, o["stride"], o["padding"], o["dilation"], o["groups"]), epilogue)],
    "batchNorm": lambda x, mu, var, w, b, eps: [F.batch_norm(x, mu, var, w, b, False, 0.0, eps)],
    "layerNorm": lambda x, w, b, eps: [F.layer_norm(x, [x.shape[-1]], w, b, eps)],
    "relu": lambda x: [F.relu(x)],
    "gelu": lambda x, form: [F.gelu(x, approximate="none" if form == "erf" else "tanh")],
    "quickGelu": lambda x: [x * torch.sigmoid(1.702 * x)],
    "l2Normalize": lambda x: [x / x.norm(dim=-1, keepdim=True)],
    "concatLast": lambda xs: [torch.cat(xs, -1)],
    "add": lambda a, b: [a + b],
    "maxPool2d": lambda x, o: [F.max_pool2d(x, o["kernel"], o["stride"], o["padding"])],
    "avgPool2d": lambda x, o: [F.avg_pool2d(x, o["kernel"], o["stride"], o["padding"], count_include_pad=True)],
    "adaptiveAvgPool2d": lambda x, oh, ow: [F.adaptive_avg_pool2d(x, [oh, ow])],
    "attention": lambda qkv, heads, causal: [attention(qkv, heads, causal)],
    "embedding": lambda ids, table: [F.embedding(ids, table)],
    "transpose12": lambda x: [x.transpose(1, 2)],
    "prependToken": lambda x, tok: [torch.cat([tok.reshape(1, 1, -1).expand(x.shape[0], 1, -1), x], 1)],
    "selectToken": lambda x, i: [x[:, i]],
    "combine": lambda basis, c, k: [combined(basis, c[r * len(basis):(r + 1) * len(basis)]).float() for r in range(k)],
    "featureProducts": lambda fs, basis: [out for f in fs for out in products(f, basis)],
    "featureStats": lambda f, basis, c: (lambda fd, g: [(fd * g).sum(1), (fd * fd).sum(1), (g * g).sum(1)])(
        f.double().reshape(f.shape[0], -1), combined(basis, c).reshape(f.shape[0], -1)),
}


def kinds(t):
    """0 finite, 1 NaN, 2 −Inf, 3 +Inf"""
    return torch.where(torch.isnan(t), 1, torch.where(torch.isinf(t), 2 + (t > 0).long(), 0))


def main(path):
    torch.set_num_threads(2)
    worst, problems = {}, 0
    for case in json.load(open(path)):
        inputs = [tensor(t) for t in case["inputs"]]
        op = case["call"]["method"]
        outs = OPS[op](*[resolve(a, inputs) for a in case["call"]["args"]])
        for got, want in zip(outs, case["outputs"]):
            ref = torch.tensor([float(v) for v in want["data"]], dtype=torch.float64).reshape(want["shape"])
            got = got.double()
            msg = ""
            if list(got.shape) != want["shape"]:
                msg += f" shape {list(got.shape)} != {want['shape']}"
            elif not torch.equal(kinds(got), kinds(ref)):
                msg += f" NaN/Inf at {(kinds(got) != kinds(ref)).sum().item()} other positions"
            finite = torch.isfinite(got) & torch.isfinite(ref)
            err = ((got - ref)[finite] ** 2).sum().item()
            norm = (ref[finite] ** 2).sum().item()
            nmse = 0.0 if err == 0 else (err / norm if norm else math.inf)
            if nmse > case["tol"]:
                msg += f" nmse {nmse:.3g} > {case['tol']}"
            worst[op] = max(worst.get(op, 0.0), nmse)
            if msg:
                problems += 1
                print(f"{case['vars']} {want['name']}:{msg}")
    print("worst nmse, PyTorch vs reference, per op:")
    for op, e in worst.items():
        print(f"  {op:18s} {e:.3g}")
    print(f"{problems} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main(sys.argv[1])
