// Elementwise ops in parallel chunks.
#include "ops/elementwise.h"

#include <cmath>

#include "ops/elementwise_isa.h"
#include "ops/simd_math.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {

// the scalar formulas (elementwise_isa.h): tails and non-finite blocks of every SIMD path
float gelu_scalar(float v, bool tanh_approx) {
  if (tanh_approx) return 0.5f * v * (1.f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
  return 0.5f * v * (1.f + std::erf(v * 0.7071067811865476f));
}

float quick_gelu_scalar(float v) { return v / (1.f + std::exp(-1.702f * v)); }

namespace {

constexpr size_t kGrain = 1 << 15;

#if defined(__x86_64__) || defined(__i386__)
// erf: y = ½x·erfc(−x/√2) (no cancellation for x < 0); tanh: y = x / (1 + e^{−2u}), u = √(2/π)(x + 0.044715x³).
// Blocks holding a non-finite x go through the scalar formula (torch's NaN for −∞ included).
__attribute__((target("avx2,fma"))) void gelu_avx2(size_t b, size_t e, const float* x, bool tanh_approx, float* y) {
  const __m256 inf = _mm256_set1_ps(INFINITY);
  size_t i = b;
  for (; i + 8 <= e; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256 finite = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.f), v), inf, _CMP_LT_OQ);
    if (_mm256_movemask_ps(finite) != 0xFF) {
      for (size_t j = i; j < i + 8; j++) y[j] = gelu_scalar(x[j], tanh_approx);
      continue;
    }
    __m256 r;
    if (tanh_approx) {
      __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f),
                               _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), v), _mm256_mul_ps(v, v), v));
      __m256 den = _mm256_add_ps(_mm256_set1_ps(1.f), exp256(_mm256_mul_ps(_mm256_set1_ps(-2.f), u)));
      r = _mm256_div_ps(v, den);
    } else {
      __m256 ec = erfc_abs256(_mm256_mul_ps(v, _mm256_set1_ps(0.7071067811865476f)));
      // erfc(−z) = 2 − erfc(z) when −z < 0, i.e. x > 0
      __m256 pos = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ);
      ec = _mm256_blendv_ps(ec, _mm256_sub_ps(_mm256_set1_ps(2.f), ec), pos);
      r = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), ec);
    }
    _mm256_storeu_ps(y + i, r);
  }
  for (; i < e; i++) y[i] = gelu_scalar(x[i], tanh_approx);
}

// y = x / (1 + e^(−1.702x)); blocks holding a non-finite x go through the scalar formula
__attribute__((target("avx2,fma"))) void quick_gelu_avx2(size_t b, size_t e, const float* x, float* y) {
  const __m256 inf = _mm256_set1_ps(INFINITY);
  size_t i = b;
  for (; i + 8 <= e; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256 finite = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.f), v), inf, _CMP_LT_OQ);
    if (_mm256_movemask_ps(finite) != 0xFF) {
      for (size_t j = i; j < i + 8; j++) y[j] = quick_gelu_scalar(x[j]);
      continue;
    }
    __m256 den = _mm256_add_ps(_mm256_set1_ps(1.f), exp256(_mm256_mul_ps(_mm256_set1_ps(-1.702f), v)));
    _mm256_storeu_ps(y + i, _mm256_div_ps(v, den));
  }
  for (; i < e; i++) y[i] = quick_gelu_scalar(x[i]);
}
#endif

}  // namespace

void relu(size_t n, const float* x, float* y) {
  parallel_for(n, kGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) y[i] = x[i] < 0.f ? 0.f : x[i];
  });
}

void gelu(size_t n, const float* x, bool tanh_approx, float* y) {
  [[maybe_unused]] bool simd = use_avx2_fma(), wide = use_avx512();
  parallel_for(n, kGrain / 4, [&](size_t b, size_t e) {
#if defined(__x86_64__) || defined(__i386__)
    if (wide) {
      gelu_avx512(b, e, x, tanh_approx, y);
      return;
    }
    if (simd) {
      gelu_avx2(b, e, x, tanh_approx, y);
      return;
    }
#endif
    for (size_t i = b; i < e; i++) y[i] = gelu_scalar(x[i], tanh_approx);
  });
}

void quick_gelu(size_t n, const float* x, float* y) {
  [[maybe_unused]] bool simd = use_avx2_fma(), wide = use_avx512();
  parallel_for(n, kGrain / 4, [&](size_t b, size_t e) {
#if defined(__x86_64__) || defined(__i386__)
    if (wide) {
      quick_gelu_avx512(b, e, x, y);
      return;
    }
    if (simd) {
      quick_gelu_avx2(b, e, x, y);
      return;
    }
#endif
    for (size_t i = b; i < e; i++) y[i] = quick_gelu_scalar(x[i]);
  });
}

void add_suffix(size_t na, const float* a, size_t nb, const float* b, float* y) {
  if (nb == 0) return;
  parallel_for(na / nb, std::max<size_t>(1, kGrain / nb), [&](size_t rb, size_t re) {
    for (size_t r = rb; r < re; r++) {
      const float* ar = a + r * nb;
      float* yr = y + r * nb;
      for (size_t i = 0; i < nb; i++) yr[i] = ar[i] + b[i];
    }
  });
}

}  // namespace ctl
