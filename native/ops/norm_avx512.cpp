// LayerNorm rows on AVX-512: float64 sums on 8 lanes, two accumulators a step (compiled with the
// AVX-512 flags; file-local code and intrinsics only). Tails through masked loads and stores.
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

#include <cmath>

// GCC 12 reports its own unmasked intrinsics (undefined source operand) as maybe-uninitialized
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "ops/avx512_util.h"
#include "ops/norm_isa.h"

namespace ctl {

using avx512::hsum;
using avx512::load8;

void layer_norm_row_avx512(size_t cols, const float* x, const float* w, const float* b, double eps, float* y) {
  __m512d s0 = _mm512_setzero_pd(), s1 = s0;
  size_t i = 0;
  for (; i + 16 <= cols; i += 16) {
    s0 = _mm512_add_pd(s0, load8(x, i, cols));
    s1 = _mm512_add_pd(s1, load8(x, i + 8, cols));
  }
  for (; i < cols; i += 8) s0 = _mm512_add_pd(s0, load8(x, i, cols));
  const double mean = hsum(_mm512_add_pd(s0, s1)) / double(cols);
  const __m512d mv = _mm512_set1_pd(mean);
  s0 = _mm512_setzero_pd(), s1 = s0;
  for (i = 0; i + 16 <= cols; i += 16) {
    __m512d d0 = _mm512_sub_pd(load8(x, i, cols), mv), d1 = _mm512_sub_pd(load8(x, i + 8, cols), mv);
    s0 = _mm512_add_pd(s0, _mm512_mul_pd(d0, d0));
    s1 = _mm512_add_pd(s1, _mm512_mul_pd(d1, d1));
  }
  for (; i < cols; i += 8) {
    __m512d d = _mm512_maskz_sub_pd(avx512::mask8(cols - i), load8(x, i, cols), mv);  // lanes past the row add 0
    s0 = _mm512_add_pd(s0, _mm512_mul_pd(d, d));
  }
  const __m512d inv = _mm512_set1_pd(1.0 / std::sqrt(hsum(_mm512_add_pd(s0, s1)) / double(cols) + eps));
  for (i = 0; i < cols; i += 8) {
    __mmask8 k = avx512::mask8(cols - i);
    __m512d v = _mm512_mul_pd(_mm512_mul_pd(_mm512_sub_pd(load8(x, i, cols), mv), inv), load8(w, i, cols));
    _mm256_mask_storeu_ps(y + i, k, _mm512_cvtpd_ps(_mm512_add_pd(v, load8(b, i, cols))));
  }
}

}  // namespace ctl
#endif
