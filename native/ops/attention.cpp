// Attention per (sample, head) task: S = q kᵀ (GEMM on strided views), row softmax, Y = P v (GEMM).
#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/aligned_buffer.h"
#include "ops/attention_isa.h"
#include "ops/gemm.h"
#include "ops/simd_math.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

thread_local AlignedBuffer scores_buffer;

#if defined(__x86_64__) || defined(__i386__)
// s_j ← exp(s_j − m) for j < len, returns Σ_j s_j (8 lanes at a time)
__attribute__((target("avx2,fma"))) float exp_sum_avx2(float* s, size_t len, float m) {
  __m256 mv = _mm256_set1_ps(m), acc = _mm256_setzero_ps();
  size_t j = 0;
  for (; j + 8 <= len; j += 8) {
    __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(s + j), mv));
    _mm256_storeu_ps(s + j, e);
    acc = _mm256_add_ps(acc, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  float sum = 0.f;
  for (float v : lanes) sum += v;
  for (; j < len; j++) {
    s[j] = std::exp(s[j] - m);
    sum += s[j];
  }
  return sum;
}
#endif

// s_j ← exp(s_j − m) for j < len, returns Σ_j s_j (portable)
float exp_sum_scalar(float* s, size_t len, float m) {
  float sum = 0.f;
  for (size_t j = 0; j < len; j++) {
    s[j] = std::exp(s[j] - m);
    sum += s[j];
  }
  return sum;
}

// p_j = exp(s_j − max s) / Σ exp(s − max s) over j < len; the rest of the row (masked) is 0.
void softmax_row(float* s, size_t len, size_t row_len, bool simd) {
  float m = -std::numeric_limits<float>::infinity();
  bool nan = false;
  for (size_t j = 0; j < len; j++) {
    m = std::max(m, s[j]);
    nan = nan || std::isnan(s[j]);
  }
  if (nan || !std::isfinite(m)) {
    // NaN scores, or ±inf maxima: the scalar formula gives torch's NaN / one-hot results
    if (nan) {
      std::fill(s, s + row_len, std::numeric_limits<float>::quiet_NaN());
      return;
    }
    simd = false;
  }
#if defined(__x86_64__) || defined(__i386__)
  float sum = simd ? exp_sum_avx2(s, len, m) : exp_sum_scalar(s, len, m);
#else
  float sum = exp_sum_scalar(s, len, m);
#endif
  float inv = 1.f / sum;
  for (size_t j = 0; j < len; j++) s[j] *= inv;
  std::fill(s + len, s + row_len, 0.f);
}

}  // namespace

void attention(size_t n, size_t t, size_t d, size_t heads, bool causal, const float* qkv, float* y) {
  size_t dh = d / heads, ld = 3 * d;
  float scale = 1.f / std::sqrt(float(dh));
  bool simd = use_avx2_fma(), wide = use_avx512();
  parallel_for(n * heads, 1, [&](size_t b, size_t e) {
    float* s = scores_buffer.get(t * t);
    for (size_t task = b; task < e; task++) {
      size_t smp = task / heads, h = task % heads;
      const float* q = qkv + smp * t * ld + h * dh;
      const float* k = q + d;
      const float* v = q + 2 * d;
      gemm(GemmArgs{t, t, dh, q, ld, k, ld, true, s, t, false});
      for (size_t i = 0; i < t; i++) {
        float* row = s + i * t;
        size_t len = causal ? i + 1 : t;
#if defined(__x86_64__) || defined(__i386__)
        if (wide && softmax_row_avx512(row, len, t, scale)) continue;
        if (!wide)  // (the AVX-512 row kernel leaves the row scaled when it declines it)
#endif
          for (size_t j = 0; j < len; j++) row[j] *= scale;
        softmax_row(row, len, t, simd);
      }
      gemm(GemmArgs{t, dh, t, s, t, v, ld, false, y + smp * t * d + h * dh, d, false});
    }
  });
}

}  // namespace ctl
