"""The LLM bench's PyTorch side: a Llama-3.2-1B-shaped pair of BF16 checkpoints and an efficient
PyTorch 11-α interpolation sweep over them, timed against ctlkit by bench/llm.bench.ts.

  torch_llm_sweep.py make  --out DIR [--layers 16 --hidden 2048 --inter 8192 --heads 32 --kv 8 --vocab 128256]
      DIR/{ft_a,ft_b}.safetensors (BF16, tied embeddings: no lm_head.weight; a random "pretrained" model
      from a fixed seed plus 0.2·std noise per tensor), config.json (LlamaConfig keys, rope llama3 as
      Llama 3.2), inputs.safetensors (8 sequences × 128 token ids, labels = the next tokens)
  torch_llm_sweep.py sweep --dir DIR --out FILE
      The Llama module of tools/gen_fixtures_decoder.py (HF LlamaForCausalLM math) in float32; A and B
      held in BF16; A and B run once (their hook features kept), then each α ∈ {0.1, …, 0.9} model
      θ_α = α A + (1 − α) B (float64 sums rounded once to float32, tensor by tensor) runs with forward
      hooks that reduce on the fly per sample in float64 (⟨F,A⟩, ⟨F,B⟩, ‖F‖²); α = 0 and 1 are A and B.
      Hooks model.layers.{i}, model.norm, lm_head; loss/accuracy from lm_head. torch.set_num_threads(THREADS).
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tools'))
from gen_fixtures_decoder import CausalLM, hooks_of  # noqa: E402
from bench.torch_sweep import pair_metrics, peak_rss_bytes  # noqa: E402

ALPHAS = [i / 10 for i in range(11)]
N, T = 8, 128


def write_st(path, tensors):
    """safetensors, tensor by tensor (bf16 through an int16 view), written to a temp name and renamed."""
    header, offset = {}, 0
    for name, t in tensors.items():
        nbytes = t.numel() * t.element_size()
        header[name] = {'dtype': {torch.bfloat16: 'BF16', torch.int64: 'I64'}[t.dtype], 'shape': list(t.shape),
                        'data_offsets': [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text)
        for t in tensors.values():
            arr = t.contiguous().view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.contiguous().numpy()
            f.write(arr.tobytes())
    os.replace(path + '.tmp', path)


def read_st(path):
    """{name: tensor} read tensor by tensor into its own memory (BF16 stays BF16)."""
    out = {}
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
        for name, info in header.items():
            if name == '__metadata__':
                continue
            b, e = info['data_offsets']
            dtype = {'BF16': torch.bfloat16, 'I64': torch.int64, 'F32': torch.float32}[info['dtype']]
            t = torch.empty(info['shape'], dtype=dtype)
            view = t.view(torch.int16) if dtype == torch.bfloat16 else t
            f.seek(base + b)
            f.readinto(memoryview(view.numpy()).cast('B'))
            out[name] = t
    return out


def config_of(a):
    return {'model_type': 'llama', 'architectures': ['LlamaForCausalLM'], 'vocab_size': a.vocab, 'hidden_size': a.hidden,
            'intermediate_size': a.inter, 'num_hidden_layers': a.layers, 'num_attention_heads': a.heads,
            'num_key_value_heads': a.kv, 'head_dim': a.hidden // a.heads, 'rms_norm_eps': 1e-5, 'hidden_act': 'silu',
            'max_position_embeddings': 131072, 'rope_theta': 500000.0, 'tie_word_embeddings': True,
            'rope_scaling': {'rope_type': 'llama3', 'factor': 32.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0,
                             'original_max_position_embeddings': 8192}, 'torch_dtype': 'bfloat16'}


def make(a):
    os.makedirs(a.out, exist_ok=True)
    c = config_of(a)
    g = torch.Generator().manual_seed(8001)
    shapes = {'model.embed_tokens.weight': [a.vocab, a.hidden], 'model.norm.weight': [a.hidden]}
    kvd = a.kv * (a.hidden // a.heads)
    for i in range(a.layers):
        L = f'model.layers.{i}.'
        shapes.update({L + 'input_layernorm.weight': [a.hidden], L + 'post_attention_layernorm.weight': [a.hidden],
                       L + 'self_attn.q_proj.weight': [a.hidden, a.hidden], L + 'self_attn.k_proj.weight': [kvd, a.hidden],
                       L + 'self_attn.v_proj.weight': [kvd, a.hidden], L + 'self_attn.o_proj.weight': [a.hidden, a.hidden],
                       L + 'mlp.gate_proj.weight': [a.inter, a.hidden], L + 'mlp.up_proj.weight': [a.inter, a.hidden],
                       L + 'mlp.down_proj.weight': [a.hidden, a.inter]})
    A, B = {}, {}
    for name, shape in shapes.items():
        if name.endswith('norm.weight') or 'layernorm' in name:
            pre = 0.6 + 0.8 * torch.rand(shape, generator=g)
        else:
            std = 0.4 if 'embed' in name else math.sqrt(2.0 / shape[1])
            pre = torch.randn(shape, generator=g) * std
        scale = pre.std().item()
        A[name] = (pre + 0.2 * scale * torch.randn(shape, generator=g)).to(torch.bfloat16)
        B[name] = (pre + 0.2 * scale * torch.randn(shape, generator=g)).to(torch.bfloat16)
        del pre
    write_st(os.path.join(a.out, 'ft_a.safetensors'), A)
    del A
    write_st(os.path.join(a.out, 'ft_b.safetensors'), B)
    del B
    seq = torch.randint(0, a.vocab, (N, T + 1), generator=g)
    write_st(os.path.join(a.out, 'inputs.safetensors'), {'inputs': seq[:, :T].contiguous(), 'labels': seq[:, 1:].contiguous()})
    with open(os.path.join(a.out, 'config.json'), 'w') as f:
        json.dump(c, f, indent=1)


def combine_into(model, a, b, alpha):
    """parameters ← α a + (1 − α) b in float64 rounded once, in slices of ≤ 2^22 elements."""
    with torch.no_grad():
        for name, p in model.state_dict().items():
            src = name if name in a else 'model.embed_tokens.weight'  # tied lm_head
            flat, fa, fb = p.view(-1), a[src].view(-1), b[src].view(-1)
            for s in range(0, flat.numel(), 1 << 22):
                e = min(flat.numel(), s + (1 << 22))
                flat[s:e] = (fa[s:e].double() * alpha + fb[s:e].double() * (1 - alpha)).float()


def per_sample_dot(x, y):
    """Σ over each sample's features of x·y in float64, one sample at a time ([N, ...] float32)."""
    return torch.stack([(x[i].double() * y[i].double()).sum() for i in range(x.shape[0])])


def sweep(folder):
    t0 = time.perf_counter()
    with open(os.path.join(folder, 'config.json')) as f:
        c = json.load(f)
    a, b = read_st(os.path.join(folder, 'ft_a.safetensors')), read_st(os.path.join(folder, 'ft_b.safetensors'))
    data = read_st(os.path.join(folder, 'inputs.safetensors'))
    ids, labels = data['inputs'], data['labels']
    model = CausalLM(c).eval()
    hooks = hooks_of(c)
    modules = dict(model.named_modules())
    K = len(ALPHAS)
    fa, fb, ff = ({h: torch.zeros(K, N, dtype=torch.float64) for h in hooks} for _ in range(3))
    loss_sum, correct = torch.zeros(K, dtype=torch.float64), torch.zeros(K, dtype=torch.float64)
    state = {}

    def task(o, k):
        z = o.reshape(-1, o.shape[-1])
        y = labels.reshape(-1)
        for s in range(0, z.shape[0], 128):
            zs = z[s:s + 128].double()
            loss_sum[k] += torch.nn.functional.cross_entropy(zs, y[s:s + 128], reduction='sum')
            correct[k] += (zs.argmax(-1) == y[s:s + 128]).double().sum()

    def hook(h):
        def fn(_m, _i, o):
            k = state['row']
            if state['mode'] == 'capture':
                state['feats'][h] = o.detach().clone()
                ff[h][k] = per_sample_dot(o, o)
            else:
                fa[h][k], fb[h][k], ff[h][k] = per_sample_dot(o, state['A'][h]), per_sample_dot(o, state['B'][h]), per_sample_dot(o, o)
            if h == 'lm_head':
                task(o, k)
        return fn

    handles = [modules[h].register_forward_hook(hook(h)) for h in hooks]
    basis = []
    with torch.no_grad():
        for k, w in ((K - 1, a), (0, b)):  # α = 1 is A, α = 0 is B
            combine_into(model, w, w, 1.0)
            state.update(mode='capture', feats={}, row=k)
            model(ids)
            basis.append(state['feats'])
        A, B = basis
        aa = {h: ff[h][K - 1].clone() for h in hooks}
        bb = {h: ff[h][0].clone() for h in hooks}
        ab = {h: per_sample_dot(A[h], B[h]) for h in hooks}
        for h in hooks:
            fa[h][K - 1], fb[h][K - 1] = aa[h], ab[h]
            fa[h][0], fb[h][0] = ab[h], bb[h]
        state.update(mode='reduce', A=A, B=B)
        for k, alpha in enumerate(ALPHAS):
            if alpha in (0.0, 1.0):
                continue
            combine_into(model, a, b, alpha)
            state['row'] = k
            model(ids)
    for hd in handles:
        hd.remove()
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
        rows.append({'alpha': alpha, 'loss': (loss_sum[k] / (N * T)).item(), 'accuracy': (correct[k] / (N * T)).item(), 'layers': layers})
    linear = sum(p.numel() for n, p in model.named_parameters() if n.endswith('proj.weight')) + model.lm_head.weight.numel()
    E = c['hidden_size'] // c['num_attention_heads']
    attn = c['num_hidden_layers'] * 4 * N * c['num_attention_heads'] * E * T * (T + 1) / 2
    forward = 2 * linear * N * T + attn
    return {'layers': hooks, 'rows': rows, 'elapsed_seconds': time.perf_counter() - t0, 'peak_rss_bytes': peak_rss_bytes(),
            'forward_flops': forward, 'flops': forward * (2 + K - 2), 'threads': torch.get_num_threads()}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('command', choices=['make', 'sweep'])
    p.add_argument('--out', required=True)
    p.add_argument('--dir')
    for k, v in (('layers', 16), ('hidden', 2048), ('inter', 8192), ('heads', 32), ('kv', 8), ('vocab', 128256)):
        p.add_argument(f'--{k}', type=int, default=v)
    a = p.parse_args()
    torch.set_num_threads(int(os.environ.get('THREADS', '2')))
    if a.command == 'make':
        return make(a)
    result = sweep(a.dir)
    with open(a.out + '.tmp', 'w') as f:
        json.dump(result, f)
    os.replace(a.out + '.tmp', a.out)


if __name__ == '__main__':
    main()
