// Decoder-LLM ops (Llama-family layers): RMSNorm, rotary embedding, SiLU, broadcast multiply,
// grouped-query attention with causal / sliding-window masks and soft-capping, last-dim narrow.
#pragma once
#include <cstddef>

namespace ctl {

// y = x / sqrt(Σx²/d + eps) · (w or 1 + w) per row of `d` (sum of squares in float64)
void rms_norm(size_t rows, size_t d, const float* x, const float* w, double eps, bool unit_offset, float* y);

// y_i = x_i c_i − x_{i+half} s_i, y_{i+half} = x_{i+half} c_i + x_i s_i (i < half) per [N,T,H,E] head; rest copied
void rope(size_t n, size_t t, size_t heads, size_t e, size_t half, const float* x, const float* cos, const float* sin,
          float* y);

// y = x / (1 + e^−x)
void silu(size_t n, const float* x, float* y);

// y = a · b with b repeated over a (nb divides na)
void mul_suffix(size_t na, const float* a, size_t nb, const float* b, float* y);

struct GqaArgs {
  size_t n, t, s, heads, kv_heads, e;
  bool causal;
  size_t window;  // 0: none; else keys j > i − window
  float scale, softcap;  // softcap 0: none
};
// out[n,i,h·E+c] = Σ_j softmax_j(cap(q_{i,h}·k_{j,g}·scale)) v_{j,g}[c], g = ⌊h·kv_heads/heads⌋, j unmasked
void grouped_attention(const GqaArgs& a, const float* q, const float* k, const float* v, float* y);

// y[r, :] = x[r, start : start + len] over rows of `d`
void narrow(size_t rows, size_t d, size_t start, size_t len, const float* x, float* y);

// y = cap · tanh(x / cap)
void softcap(size_t n, const float* x, float cap, float* y);

}  // namespace ctl
