// GELU and QuickGELU on AVX-512, 16 lanes (compiled with the AVX-512 flags; file-local code and
// intrinsics only). Blocks holding a non-finite x go through the scalar formulas of elementwise.cpp.
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

#include <cmath>

// GCC 12 reports its own unmasked intrinsics (undefined source operand) as maybe-uninitialized
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "ops/elementwise_isa.h"
#include "ops/simd_math_avx512.h"

namespace ctl {
namespace {

// lanes of v that are finite
inline __mmask16 finite_lanes(__m512 v) { return _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(INFINITY), _CMP_LT_OQ); }

}  // namespace

// erf: y = ½x·erfc(−x/√2); tanh: y = x / (1 + e^{−2u}), u = √(2/π)(x + 0.044715x³)
void gelu_avx512(size_t b, size_t e, const float* x, bool tanh_approx, float* y) {
  size_t i = b;
  for (; i + 16 <= e; i += 16) {
    __m512 v = _mm512_loadu_ps(x + i);
    if (finite_lanes(v) != 0xFFFF) {
      for (size_t j = i; j < i + 16; j++) y[j] = gelu_scalar(x[j], tanh_approx);
      continue;
    }
    __m512 r;
    if (tanh_approx) {
      __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                               _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), v), _mm512_mul_ps(v, v), v));
      __m512 den = _mm512_add_ps(_mm512_set1_ps(1.f), avx512::exp512(_mm512_mul_ps(_mm512_set1_ps(-2.f), u)));
      r = _mm512_div_ps(v, den);
    } else {
      __m512 ec = avx512::erfc_abs512(_mm512_mul_ps(v, _mm512_set1_ps(0.7071067811865476f)));
      // erfc(−z) = 2 − erfc(z) when −z < 0, i.e. x > 0
      __mmask16 pos = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ);
      ec = _mm512_mask_sub_ps(ec, pos, _mm512_set1_ps(2.f), ec);
      r = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), ec);
    }
    _mm512_storeu_ps(y + i, r);
  }
  for (; i < e; i++) y[i] = gelu_scalar(x[i], tanh_approx);
}

// y = x / (1 + e^(−1.702x))
void quick_gelu_avx512(size_t b, size_t e, const float* x, float* y) {
  size_t i = b;
  for (; i + 16 <= e; i += 16) {
    __m512 v = _mm512_loadu_ps(x + i);
    if (finite_lanes(v) != 0xFFFF) {
      for (size_t j = i; j < i + 16; j++) y[j] = quick_gelu_scalar(x[j]);
      continue;
    }
    __m512 den = _mm512_add_ps(_mm512_set1_ps(1.f), avx512::exp512(_mm512_mul_ps(_mm512_set1_ps(-1.702f), v)));
    _mm512_storeu_ps(y + i, _mm512_div_ps(v, den));
  }
  for (; i < e; i++) y[i] = quick_gelu_scalar(x[i]);
}

}  // namespace ctl
#endif
