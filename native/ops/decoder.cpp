// Decoder-LLM ops; attention per (sample, query head) task: S = q Kᵀ (GEMM on strided views of the
// shared kv head), scale, soft-cap, masked row softmax, Y = P V (GEMM).
#include "ops/decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "ops/aligned_buffer.h"
#include "ops/gemm.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {
thread_local AlignedBuffer gqa_scores;

// p_j = exp(s_j − max) / Σ exp(s − max) for j in [lo, hi); 0 elsewhere in the row
void masked_softmax(float* s, size_t lo, size_t hi, size_t row_len) {
  float m = -std::numeric_limits<float>::infinity();
  bool nan = false;
  for (size_t j = lo; j < hi; j++) {
    m = std::max(m, s[j]);
    nan = nan || std::isnan(s[j]);
  }
  if (nan) {
    std::fill(s, s + row_len, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  double sum = 0.0;
  for (size_t j = lo; j < hi; j++) {
    s[j] = std::exp(s[j] - m);
    sum += s[j];
  }
  float inv = float(1.0 / sum);
  for (size_t j = lo; j < hi; j++) s[j] *= inv;
  std::fill(s, s + lo, 0.f);
  std::fill(s + hi, s + row_len, 0.f);
}
}  // namespace

void rms_norm(size_t rows, size_t d, const float* x, const float* w, double eps, bool unit_offset, float* y) {
  parallel_for(rows, std::max<size_t>(1, 8192 / std::max<size_t>(d, 1)), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; r++) {
      const float* xr = x + r * d;
      float* yr = y + r * d;
      double ss = 0.0;
      for (size_t i = 0; i < d; i++) ss += double(xr[i]) * xr[i];
      double inv = 1.0 / std::sqrt(ss / double(d) + eps);
      for (size_t i = 0; i < d; i++) yr[i] = float(xr[i] * inv * (unit_offset ? 1.0 + double(w[i]) : double(w[i])));
    }
  });
}

void rope(size_t n, size_t t, size_t heads, size_t e, size_t half, const float* x, const float* cos, const float* sin,
          float* y) {
  parallel_for(n * t, std::max<size_t>(1, 4096 / std::max<size_t>(heads * e, 1)), [&](size_t b, size_t end) {
    for (size_t row = b; row < end; row++) {
      const float* c = cos + (row % t) * half;
      const float* s = sin + (row % t) * half;
      for (size_t h = 0; h < heads; h++) {
        const float* xh = x + (row * heads + h) * e;
        float* yh = y + (row * heads + h) * e;
        for (size_t i = 0; i < half; i++) {
          float x1 = xh[i], x2 = xh[i + half];
          yh[i] = x1 * c[i] - x2 * s[i];
          yh[i + half] = x2 * c[i] + x1 * s[i];
        }
        std::memcpy(yh + 2 * half, xh + 2 * half, (e - 2 * half) * sizeof(float));
      }
    }
  });
}

void silu(size_t n, const float* x, float* y) {
  parallel_for(n, 16384, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) y[i] = x[i] / (1.f + std::exp(-x[i]));
  });
}

void mul_suffix(size_t na, const float* a, size_t nb, const float* b, float* y) {
  parallel_for(na, 32768, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; i++) y[i] = a[i] * b[i % nb];
  });
}

void grouped_attention(const GqaArgs& a, const float* q, const float* k, const float* v, float* y) {
  size_t ldq = a.heads * a.e, ldk = a.kv_heads * a.e, group = a.heads / a.kv_heads;
  parallel_for(a.n * a.heads, 1, [&](size_t b, size_t end) {
    float* sc = gqa_scores.get(a.t * a.s);
    for (size_t task = b; task < end; task++) {
      size_t smp = task / a.heads, h = task % a.heads, g = h / group;
      const float* qh = q + smp * a.t * ldq + h * a.e;
      const float* kg = k + smp * a.s * ldk + g * a.e;
      const float* vg = v + smp * a.s * ldk + g * a.e;
      gemm(GemmArgs{a.t, a.s, a.e, qh, ldq, kg, ldk, true, sc, a.s, false});
      for (size_t i = 0; i < a.t; i++) {
        float* row = sc + i * a.s;
        size_t hi = a.causal ? i + 1 : a.s;
        size_t lo = a.window > 0 && i + 1 > a.window ? i + 1 - a.window : 0;
        for (size_t j = lo; j < hi; j++) {
          float x = row[j] * a.scale;
          row[j] = a.softcap > 0.f ? a.softcap * std::tanh(x / a.softcap) : x;
        }
        masked_softmax(row, lo, hi, a.s);
      }
      gemm(GemmArgs{a.t, a.e, a.s, sc, a.s, vg, ldk, false, y + smp * a.t * ldq + h * a.e, ldq, false});
    }
  });
}

void softcap(size_t n, const float* x, float cap, float* y) {
  parallel_for(n, 16384, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) y[i] = cap * std::tanh(x[i] / cap);
  });
}

void narrow(size_t rows, size_t d, size_t start, size_t len, const float* x, float* y) {
  parallel_for(rows, std::max<size_t>(1, 16384 / std::max<size_t>(len, 1)), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; r++) std::memcpy(y + r * len, x + r * d + start, len * sizeof(float));
  });
}

}  // namespace ctl
