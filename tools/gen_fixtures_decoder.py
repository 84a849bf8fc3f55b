#!/usr/bin/python3
"""Goldens for ctlkit's Hugging Face decoder LLMs (src/models/decoder.ts), with Debian's PyTorch.

    /usr/bin/python3 tools/gen_fixtures_decoder.py      # writes test/fixtures/decoders/<case>/

No transformers package here: each family is written in torch from Hugging Face's source
(transformers/models/llama/modeling_llama.py: LlamaRMSNorm, rotate_half, apply_rotary_pos_emb,
repeat_kv, eager_attention_forward, LlamaMLP, LlamaDecoderLayer; mistral/modeling_mistral.py sliding
window (masking_utils.sliding_window_overlay: kv_idx > q_idx - window); qwen2/modeling_qwen2.py q/k/v
biases; qwen3/modeling_qwen3.py q_norm/k_norm on head_dim before RoPE; gemma/modeling_gemma.py
GemmaRMSNorm (1 + w), normalizer = hidden_size**0.5 in the hidden dtype, gelu_pytorch_tanh;
gemma2/modeling_gemma2.py post_attention_layernorm on the attention output, pre/post_feedforward_layernorm,
scaling query_pre_attn_scalar**-0.5, attention and final-logit soft-capping (x / cap, tanh, × cap),
is_sliding = not bool(layer_idx % 2); phi3/modeling_phi3.py packed qkv_proj / gate_up_proj, partial rotary; modeling_rope_utils.py
ROPE_INIT_FUNCTIONS default/linear/dynamic/llama3/yarn/longrope and dynamic_rope_update).

Every case is checked against a second formulation before it is written: the checkpoint's q/k
weights un-permuted to Meta's interleaved layout (the inverse of convert_llama_weights_to_hf.permute),
Meta's complex-number RoPE (llama/model.py: view_as_complex, polar), and attention as a loop over
query positions without repeat_kv. Seeded and single-threaded: reruns give identical files.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.jsonio import write_json  # noqa: E402
from fixtures.st_io import DTYPES, write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'test', 'fixtures', 'decoders')


# ---------------- RoPE (modeling_rope_utils.py) ----------------
def head_dim_of(c):
    return c.get('head_dim') or c['hidden_size'] // c['num_attention_heads']


def rope_params(c):
    p = dict(c.get('rope_parameters') or c.get('rope_scaling') or {})
    p.setdefault('rope_theta', c.get('rope_theta', 10000.0))
    p['rope_type'] = p.get('rope_type', p.get('type', 'default'))
    return p


def inv_freq_and_scaling(c, seq_len):
    p = rope_params(c)
    base = p['rope_theta']
    dim = int(head_dim_of(c) * c.get('partial_rotary_factor', 1.0))
    ar = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    t = p['rope_type']
    default = 1.0 / (base ** ar)
    if t == 'default':
        return default, 1.0
    if t == 'linear':
        return default / p['factor'], 1.0
    if t == 'dynamic':
        maxp = c['max_position_embeddings']
        if seq_len <= maxp:
            return default, 1.0
        f = p['factor']
        b = base * ((f * seq_len / maxp) - (f - 1)) ** (dim / (dim - 2))
        return 1.0 / (b ** ar), 1.0
    if t == 'llama3':
        f, lo, hi, old = p['factor'], p['low_freq_factor'], p['high_freq_factor'], p['original_max_position_embeddings']
        wavelen = 2 * math.pi / default
        inv = torch.where(wavelen > old / lo, default / f, default)
        smooth = (old / wavelen - lo) / (hi - lo)
        smoothed = (1 - smooth) * inv / f + smooth * inv
        medium = ~(wavelen < old / hi) * ~(wavelen > old / lo)
        return torch.where(medium, smoothed, inv), 1.0
    if t == 'yarn':
        f, maxp = p['factor'], c['max_position_embeddings']
        att = p.get('attention_factor') or 0.1 * math.log(f) + 1.0
        bf, bs = p.get('beta_fast') or 32, p.get('beta_slow') or 1

        def corr(rot):
            return (dim * math.log(maxp / (rot * 2 * math.pi))) / (2 * math.log(base))
        low, high = max(math.floor(corr(bf)), 0), min(math.ceil(corr(bs)), dim - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        pos = base ** (torch.arange(0, dim, 2).float() / dim)
        ex = 1 - ramp
        return (1.0 / (f * pos)) * (1 - ex) + (1.0 / pos) * ex, att
    if t == 'longrope':
        orig = c['original_max_position_embeddings']
        factor = c['max_position_embeddings'] / orig
        att = p.get('attention_factor') or (1.0 if factor <= 1 else math.sqrt(1 + math.log(factor) / math.log(orig)))
        ext = torch.tensor(p['long_factor'] if seq_len > orig else p['short_factor'], dtype=torch.float32)
        return 1.0 / (ext * base ** ar), att
    raise ValueError(t)


def cos_sin(c, T):
    """LlamaRotaryEmbedding.forward: freqs = inv_freq ⊗ positions (float32), emb = cat(freqs, freqs)."""
    inv, scale = inv_freq_and_scaling(c, T)
    freqs = (inv[None, :, None].float() @ torch.arange(T, dtype=torch.float32)[None, None, :]).transpose(1, 2)[0]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * scale, emb.sin() * scale


# ---------------- the HF formulation ----------------
class RMSNorm(torch.nn.Module):
    def __init__(self, d, eps, unit):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(d) if unit else torch.ones(d))
        self.eps, self.unit = eps, unit

    def forward(self, x):
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return h * (1.0 + self.weight.float()) if self.unit else self.weight * h


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    r = cos.shape[-1]  # phi3: partial rotary on the first r dims
    xr, xp = x[..., :r], x[..., r:]
    return torch.cat((xr * cos + rotate_half(xr) * sin, xp), dim=-1)


def act_fn(name):
    return {'silu': F.silu, 'gelu_pytorch_tanh': lambda x: F.gelu(x, approximate='tanh'), 'gelu': F.gelu}[name]


class Attention(torch.nn.Module):
    def __init__(self, c, i):
        super().__init__()
        D, H, K, E = c['hidden_size'], c['num_attention_heads'], c['num_key_value_heads'], head_dim_of(c)
        self.c, self.H, self.K, self.E, self.i = c, H, K, E, i
        bias = c.get('attention_bias', False)
        if c['model_type'] == 'phi3':
            self.qkv_proj = torch.nn.Linear(D, (H + 2 * K) * E, bias=False)
        else:
            self.q_proj = torch.nn.Linear(D, H * E, bias=bias)
            self.k_proj = torch.nn.Linear(D, K * E, bias=bias)
            self.v_proj = torch.nn.Linear(D, K * E, bias=bias)
        self.o_proj = torch.nn.Linear(H * E, D, bias=False)
        if c['model_type'] == 'qwen3':
            self.q_norm = RMSNorm(E, c['rms_norm_eps'], False)
            self.k_norm = RMSNorm(E, c['rms_norm_eps'], False)

    def forward(self, x, cos, sin, window):
        N, T, _ = x.shape
        H, K, E = self.H, self.K, self.E
        if hasattr(self, 'qkv_proj'):
            qkv = self.qkv_proj(x)
            q, k, v = qkv[..., : H * E], qkv[..., H * E: (H + K) * E], qkv[..., (H + K) * E:]
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        q, k, v = (t.view(N, T, -1, E) for t in (q, k, v))
        if hasattr(self, 'q_norm'):
            q, k = self.q_norm(q), self.k_norm(k)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k, v = (t.repeat_interleave(H // K, dim=1) for t in (k, v))  # repeat_kv
        scaling = self.c['query_pre_attn_scalar'] ** -0.5 if self.c['model_type'] == 'gemma2' else E ** -0.5
        scores = q @ k.transpose(2, 3) * scaling
        cap = self.c.get('attn_logit_softcapping') if self.c['model_type'] == 'gemma2' else None
        if cap:
            scores = torch.tanh(scores / cap) * cap
        i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
        allowed = j <= i
        if window:
            allowed = allowed & (j > i - window)
        scores = scores.masked_fill(~allowed, torch.finfo(torch.float32).min)
        p = torch.softmax(scores.float(), dim=-1)
        return self.o_proj((p @ v).transpose(1, 2).reshape(N, T, H * E))


class MLP(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        D, I = c['hidden_size'], c['intermediate_size']
        if c['model_type'] == 'phi3':
            self.gate_up_proj = torch.nn.Linear(D, 2 * I, bias=False)
        else:
            self.gate_proj = torch.nn.Linear(D, I, bias=False)
            self.up_proj = torch.nn.Linear(D, I, bias=False)
        self.down_proj = torch.nn.Linear(I, D, bias=False)
        self.act = act_fn(c.get('hidden_activation') or c['hidden_act'])

    def forward(self, x):
        if hasattr(self, 'gate_up_proj'):
            gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
        else:
            gate, up = self.gate_proj(x), self.up_proj(x)
        return self.down_proj(self.act(gate) * up)


class Layer(torch.nn.Module):
    def __init__(self, c, i):
        super().__init__()
        unit = c['model_type'] in ('gemma', 'gemma2')
        self.gemma2 = c['model_type'] == 'gemma2'
        self.input_layernorm = RMSNorm(c['hidden_size'], c['rms_norm_eps'], unit)
        self.self_attn = Attention(c, i)
        self.post_attention_layernorm = RMSNorm(c['hidden_size'], c['rms_norm_eps'], unit)
        if self.gemma2:
            self.pre_feedforward_layernorm = RMSNorm(c['hidden_size'], c['rms_norm_eps'], True)
            self.post_feedforward_layernorm = RMSNorm(c['hidden_size'], c['rms_norm_eps'], True)
        self.mlp = MLP(c)
        self.window = window_of(c, i)

    def forward(self, x, cos, sin):
        if self.gemma2:
            x = x + self.post_attention_layernorm(self.self_attn(self.input_layernorm(x), cos, sin, self.window))
            return x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x)))
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, self.window)
        return x + self.mlp(self.post_attention_layernorm(x))


def window_of(c, i):
    if c['model_type'] == 'mistral':
        return c.get('sliding_window')
    if c['model_type'] == 'gemma2':
        return c.get('sliding_window') if not bool(i % 2) else None
    return None


class Inner(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = torch.nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.layers = torch.nn.ModuleList(Layer(c, i) for i in range(c['num_hidden_layers']))
        self.norm = RMSNorm(c['hidden_size'], c['rms_norm_eps'], c['model_type'] in ('gemma', 'gemma2'))

    def forward(self, ids):
        x = self.embed_tokens(ids)
        if self.c['model_type'] in ('gemma', 'gemma2'):
            x = x * torch.tensor(self.c['hidden_size'] ** 0.5, dtype=x.dtype)
        cos, sin = cos_sin(self.c, ids.shape[1])
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.norm(x)


class CausalLM(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = Inner(c)
        self.lm_head = torch.nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        if c.get('tie_word_embeddings'):
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, ids):
        logits = self.lm_head(self.model(ids))
        cap = self.c.get('final_logit_softcapping') if self.c['model_type'] == 'gemma2' else None
        return torch.tanh(logits / cap) * cap if cap else logits


def hooks_of(c):
    return [f'model.layers.{i}' for i in range(c['num_hidden_layers'])] + ['model.norm', 'lm_head']


def capture(model, ids, hooks):
    out = {}
    mods = dict(model.named_modules())
    handles = [mods[h].register_forward_hook(lambda m, i, o, h=h: out.__setitem__(h, o.detach().clone())) for h in hooks]
    with torch.no_grad():
        logits = model(ids)
    for hd in handles:
        hd.remove()
    out['lm_head'] = logits.detach().clone()  # Gemma2ForCausalLM: the soft-capped logits; the others: lm_head's output
    return {h: out[h].contiguous() for h in hooks}


# ---------------- the second formulation: Meta's layout and complex RoPE, a loop over positions ----------------
def unpermute(w, heads, e, r):
    """Inverse of convert_llama_weights_to_hf.permute on the first r (rotary) rows of each head:
    HF [x_0..x_{r/2-1}, x_{r/2}..x_{r-1}] → Meta interleaved pairs (x_0, x_{r/2}), (x_1, x_{r/2+1}), …"""
    w = w.reshape(heads, e, *w.shape[1:])
    rot = w[:, :r].reshape(heads, 2, r // 2, *w.shape[2:]).transpose(1, 2).reshape(heads, r, *w.shape[2:])
    return torch.cat((rot, w[:, r:]), dim=1).reshape(heads * e, *w.shape[2:])


def alt_forward(state, c, ids):
    D, H, K, E = c['hidden_size'], c['num_attention_heads'], c['num_key_value_heads'], head_dim_of(c)
    r = int(E * c.get('partial_rotary_factor', 1.0))
    unit = c['model_type'] in ('gemma', 'gemma2')
    g2 = c['model_type'] == 'gemma2'
    eps = c['rms_norm_eps']
    act = act_fn(c.get('hidden_activation') or c['hidden_act'])
    W = lambda n: state[n].double()  # noqa: E731  (the second formulation runs in float64)

    def norm(x, w):
        x = x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)
        return x * (1 + w) if unit else x * w

    N, T = ids.shape
    inv, scale = inv_freq_and_scaling(c, T)
    angles = torch.arange(T, dtype=torch.float64)[:, None] * inv.double()[None, :]
    freqs_cis = torch.polar(torch.full_like(angles, scale), angles)  # [T, r/2] (Meta: precompute_freqs_cis)

    def rope_meta(x):  # x [T, heads, E], interleaved pairs on the first r dims
        xr = torch.view_as_complex(x[..., :r].reshape(T, x.shape[1], r // 2, 2).contiguous())
        xr = torch.view_as_real(xr * freqs_cis[:, None, :]).reshape(T, x.shape[1], r)
        return torch.cat((xr, x[..., r:]), dim=-1)

    out = {}
    x = W('model.embed_tokens.weight')[ids]
    if unit:
        x = x * float(torch.tensor(D ** 0.5, dtype=torch.float32))
    for i in range(c['num_hidden_layers']):
        window = c.get('sliding_window') if c['model_type'] == 'mistral' or (g2 and i % 2 == 0) else None
        L = f'model.layers.{i}.'
        h = norm(x, W(L + 'input_layernorm.weight'))
        if c['model_type'] == 'phi3':
            wqkv = W(L + 'self_attn.qkv_proj.weight')
            wq, wk, wv = wqkv[: H * E], wqkv[H * E: (H + K) * E], wqkv[(H + K) * E:]
            bq = bk = bv = None
        else:
            wq, wk, wv = (W(L + f'self_attn.{n}_proj.weight') for n in 'qkv')
            bq, bk, bv = (W(L + f'self_attn.{n}_proj.bias') if (L + f'self_attn.{n}_proj.bias') in state else None for n in 'qkv')
        wq, wk = unpermute(wq, H, E, r), unpermute(wk, K, E, r)
        bq = unpermute(bq, H, E, r) if bq is not None else None
        bk = unpermute(bk, K, E, r) if bk is not None else None
        lin = lambda t, w, b: t @ w.T + (b if b is not None else 0)  # noqa: E731
        ys = []
        for n in range(N):
            q = lin(h[n], wq, bq).reshape(T, H, E)
            k = lin(h[n], wk, bk).reshape(T, K, E)
            v = lin(h[n], wv, bv).reshape(T, K, E)
            if c['model_type'] == 'qwen3':  # the per-head norm weights follow the same permutation
                q = norm_w(q, unpermute(W(L + 'self_attn.q_norm.weight')[:, None], 1, E, r)[:, 0], eps)
                k = norm_w(k, unpermute(W(L + 'self_attn.k_norm.weight')[:, None], 1, E, r)[:, 0], eps)
            q, k = rope_meta(q), rope_meta(k)
            y = torch.zeros(T, H, E, dtype=torch.float64)
            for t in range(T):  # one query position at a time, keys 0..t (within the window)
                lo = max(0, t - window + 1) if window else 0
                for hh in range(H):
                    g = hh // (H // K)
                    s = (k[lo: t + 1, g] @ q[t, hh]) / math.sqrt(c['query_pre_attn_scalar'] if g2 else E)
                    if g2 and c.get('attn_logit_softcapping'):
                        s = c['attn_logit_softcapping'] * torch.tanh(s / c['attn_logit_softcapping'])
                    y[t, hh] = torch.softmax(s, 0) @ v[lo: t + 1, g]
            ys.append(y.reshape(T, H * E) @ W(L + 'self_attn.o_proj.weight').T)
        att = torch.stack(ys)
        x = x + (norm(att, W(L + 'post_attention_layernorm.weight')) if g2 else att)
        h = norm(x, W(L + ('pre_feedforward_layernorm.weight' if g2 else 'post_attention_layernorm.weight')))
        if c['model_type'] == 'phi3':
            gate, up = (h @ W(L + 'mlp.gate_up_proj.weight').T).chunk(2, dim=-1)
        else:
            gate, up = h @ W(L + 'mlp.gate_proj.weight').T, h @ W(L + 'mlp.up_proj.weight').T
        mlp = (act(gate) * up) @ W(L + 'mlp.down_proj.weight').T
        x = x + (norm(mlp, W(L + 'post_feedforward_layernorm.weight')) if g2 else mlp)
        out[f'model.layers.{i}'] = x
    x = norm(x, W('model.norm.weight'))
    out['model.norm'] = x
    head = 'model.embed_tokens.weight' if c.get('tie_word_embeddings') else 'lm_head.weight'
    out['lm_head'] = x @ W(head).T
    if g2 and c.get('final_logit_softcapping'):
        out['lm_head'] = c['final_logit_softcapping'] * torch.tanh(out['lm_head'] / c['final_logit_softcapping'])
    return out


def norm_w(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


# ---------------- cases ----------------
BASE = dict(vocab_size=61, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, rms_norm_eps=1e-6, hidden_act='silu', max_position_embeddings=64,
            tie_word_embeddings=False, rope_theta=10000.0)


def case(name, description, T=9, store=torch.float32, shards=1, extra_tensors=None, **over):
    c = dict(BASE, **over)
    c['architectures'] = [{'llama': 'LlamaForCausalLM', 'mistral': 'MistralForCausalLM', 'qwen2': 'Qwen2ForCausalLM',
                           'qwen3': 'Qwen3ForCausalLM', 'gemma': 'GemmaForCausalLM', 'gemma2': 'Gemma2ForCausalLM',
                           'phi3': 'Phi3ForCausalLM'}[c['model_type']]]
    return dict(name=name, description=description, config=c, T=T, store=store, shards=shards, extra=extra_tensors or {})


def cases():
    long_factor = [1.0 + 0.5 * i for i in range(4)]
    short_factor = [1.0 + 0.1 * i for i in range(4)]
    return [
        case('llama_gqa', 'Llama, GQA 4 query / 2 kv heads, untied lm_head, default RoPE (rope_theta 10000).', model_type='llama'),
        case('llama_tied_llama3', 'Llama 3.1/3.2: MHA, tied lm_head (no lm_head.weight), rope_scaling llama3 (v4 key "rope_type"), '
             'T = 11 > original_max_position_embeddings 8; a rotary_emb.inv_freq buffer in the file (ignored).', T=11,
             model_type='llama', num_key_value_heads=4, tie_word_embeddings=True, rope_theta=500000.0,
             rope_scaling={'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0,
                           'original_max_position_embeddings': 8},
             extra_tensors={'model.layers.0.self_attn.rotary_emb.inv_freq': torch.ones(4)}),
        case('llama_linear_headdim', 'Llama with head_dim 12 ≠ hidden/heads (32/4), rope_scaling {"type": "linear", factor 2} (4.x "type" key), MQA.',
             model_type='llama', head_dim=12, num_key_value_heads=1, rope_scaling={'type': 'linear', 'factor': 2.0}),
        case('llama_dynamic_v5', 'Llama with v5 rope_parameters {rope_type dynamic, factor 2, rope_theta 1e4}; T = 11 > max_position_embeddings 8.',
             T=11, model_type='llama', max_position_embeddings=8, rope_theta=None,
             rope_parameters={'rope_type': 'dynamic', 'factor': 2.0, 'rope_theta': 10000.0}),
        case('llama_yarn', 'Llama with rope_scaling yarn (factor 4, max_position_embeddings 16; attention factor 0.1 ln 4 + 1 on cos/sin).',
             model_type='llama', max_position_embeddings=16, rope_scaling={'rope_type': 'yarn', 'factor': 4.0}),
        case('mistral_window', 'Mistral, sliding_window 4 over T = 11, GQA, untied.', T=11, model_type='mistral', sliding_window=4),
        case('qwen2_bias', 'Qwen2: q/k/v biases (o_proj none), tied embeddings, GQA.', model_type='qwen2', attention_bias=True,
             tie_word_embeddings=True, rope_theta=1000000.0),
        case('qwen3_qknorm', 'Qwen3: per-head q_norm / k_norm before RoPE, head_dim 16 ≠ 32/4, GQA, untied.',
             model_type='qwen3', head_dim=16, rms_norm_eps=1e-6),
        case('gemma_mqa', 'Gemma: RMSNorm (1 + w), embeddings × √32 (float32), gelu_pytorch_tanh, MQA, head_dim 16, tied.',
             model_type='gemma', num_key_value_heads=1, head_dim=16, hidden_act='gelu', hidden_activation='gelu_pytorch_tanh',
             tie_word_embeddings=True),
        case('phi3_longrope_partial', 'Phi-3: packed qkv_proj and gate_up_proj, partial_rotary_factor 0.5 (4 of 8 dims), longrope '
             '(original_max_position_embeddings 8, max 32) with T = 11 > 8: long factors, attention factor √(1 + ln 4 / ln 8).',
             T=11, model_type='phi3', partial_rotary_factor=0.5, rms_norm_eps=1e-5, max_position_embeddings=32,
             original_max_position_embeddings=8,
             rope_scaling={'type': 'longrope', 'short_factor': short_factor[:2], 'long_factor': long_factor[:2]}),
        case('phi3_short', 'Phi-3: packed projections, full rotary, longrope with T = 7 ≤ original 8: short factors; MHA.',
             T=7, model_type='phi3', num_key_value_heads=4, rms_norm_eps=1e-5, max_position_embeddings=32,
             original_max_position_embeddings=8,
             rope_scaling={'type': 'longrope', 'short_factor': short_factor, 'long_factor': long_factor}),
        case('llama_bf16_sharded', 'Llama, GQA, weights stored in BF16 over two shards with model.safetensors.index.json.',
             model_type='llama', store=torch.bfloat16, shards=2),
        case('gemma2_softcap', 'Gemma 2: post-attention and pre/post-feed-forward (1 + w) norms, query_pre_attn_scalar 24, '
             'attention soft-cap 2 and final-logit soft-cap 3 (both active at these scales), sliding window 3 on even layers over T = 9, '
             'GQA, head_dim 16, tied.', model_type='gemma2', head_dim=16, hidden_act='gelu_pytorch_tanh',
             hidden_activation='gelu_pytorch_tanh', query_pre_attn_scalar=24, attn_logit_softcapping=2.0,
             final_logit_softcapping=3.0, sliding_window=3, tie_word_embeddings=True),
    ]


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('norm.weight') or 'layernorm' in name:
                p.copy_(torch.rand(p.shape, generator=g) * 0.8 + 0.6)
            elif name.endswith('bias'):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
            elif 'embed' in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.4)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * math.sqrt(2.0 / p.shape[1]))


def write_case(cs, seed):
    c = {k: v for k, v in cs['config'].items() if v is not None}
    folder = os.path.join(ROOT, cs['name'])
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(seed)
    model = CausalLM(c)
    randomise(model, seed)
    if c['model_type'] in ('gemma', 'gemma2'):  # (1 + w): draw w around 0
        with torch.no_grad():
            for n, p in model.named_parameters():
                if n.endswith('norm.weight') or 'layernorm' in n:
                    p.sub_(1.0)
    state = model.state_dict()
    if c.get('tie_word_embeddings'):
        del state['lm_head.weight']
    stored = {k: v.to(cs['store']) for k, v in state.items()}
    model.load_state_dict({k: v.float() for k, v in stored.items()}, strict=False)
    if c.get('tie_word_embeddings'):
        assert model.lm_head.weight is model.model.embed_tokens.weight
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(0, c['vocab_size'], (3, cs['T']), generator=g)
    ids[0, 0] = c['vocab_size'] - 1
    labels = torch.randint(0, c['vocab_size'], (3, cs['T']), generator=g)
    hooks = hooks_of(c)
    outputs = capture(model, ids, hooks)
    alt = alt_forward({k: v.float() for k, v in stored.items()}, c, ids)
    for h in hooks:
        ref = outputs[h].double()
        err = (alt[h] - ref).abs().max().item()
        if not err <= 1e-5 * ref.abs().max().item():
            raise RuntimeError(f'{cs["name"]}: {h}: HF formulation and Meta formulation differ by {err}')
    stored.update(cs['extra'])
    names = list(stored)
    if cs['shards'] == 1:
        write_safetensors(os.path.join(folder, 'model.safetensors'), stored)
    else:
        half = len(names) // 2
        parts = [names[:half], names[half:]]
        weight_map = {}
        for k, part in enumerate(parts):
            fname = f'model-{k + 1:05d}-of-{len(parts):05d}.safetensors'
            write_safetensors(os.path.join(folder, fname), {n: stored[n] for n in part})
            weight_map.update({n: fname for n in part})
        total = sum(t.numel() * t.element_size() for t in stored.values())
        write_json(os.path.join(folder, 'model.safetensors.index.json'), {'metadata': {'total_size': total}, 'weight_map': weight_map})
    write_safetensors(os.path.join(folder, 'inputs.safetensors'), {'inputs': ids, 'labels': labels})
    write_safetensors(os.path.join(folder, 'outputs.safetensors'), outputs)
    write_json(os.path.join(folder, 'hooks.json'), hooks)
    write_json(os.path.join(folder, 'config.json'), c)
    write_json(os.path.join(folder, 'case.json'), {
        'name': cs['name'], 'family': c['model_type'], 'description': cs['description'], 'seed': seed,
        'weights_dtype': DTYPES[cs['store']], 'shards': cs['shards'], 'tensors': len(stored),
        'checkpoint': 'model.safetensors' if cs['shards'] == 1 else 'model.safetensors.index.json',
        'outputs': {h: {'dtype': 'F32', 'shape': list(outputs[h].shape)} for h in hooks},
        'second_formulation': 'Meta layout (un-permuted q/k), complex RoPE, per-position attention loop, float64: within 1e-5 × max |ref| at every hook',
        'tolerance': 'every hook: max |Δ| ≤ 1e-5 × max |ref|',
    })
    return folder


def main():
    torch.set_num_threads(1)
    for k, cs in enumerate(cases()):
        print('wrote', os.path.relpath(write_case(cs, 1300 + k), ROOT))


if __name__ == '__main__':
    main()
