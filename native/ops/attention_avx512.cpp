// The attention row softmax on AVX-512: scale, maximum, exp-sum and normalisation in 16-lane steps
// with masked tails (compiled with the AVX-512 flags; file-local code and intrinsics only).
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

#include <cmath>

// GCC 12 reports its own unmasked intrinsics (undefined source operand) as maybe-uninitialized
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "ops/attention_isa.h"
#include "ops/avx512_util.h"
#include "ops/simd_math_avx512.h"

namespace ctl {
namespace {


}  // namespace

bool softmax_row_avx512(float* s, size_t len, size_t row_len, float c) {
  const __m512 cv = _mm512_set1_ps(c);
  __m512 mx = _mm512_set1_ps(-INFINITY);
  __mmask16 nan = 0;
  for (size_t j = 0; j < len; j += 16) {
    __mmask16 k = avx512::mask16(len - j);
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, s + j), cv);
    _mm512_mask_storeu_ps(s + j, k, v);
    mx = _mm512_mask_max_ps(mx, k, mx, v);
    nan |= _mm512_mask_cmp_ps_mask(k, v, v, _CMP_UNORD_Q);
  }
  const float m = _mm512_reduce_max_ps(mx);
  if (nan || !std::isfinite(m)) return false;
  const __m512 mv = _mm512_set1_ps(m);
  __m512 acc = _mm512_setzero_ps();
  for (size_t j = 0; j < len; j += 16) {
    __mmask16 k = avx512::mask16(len - j);
    __m512 e = avx512::exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + j), mv));
    _mm512_mask_storeu_ps(s + j, k, e);
    acc = _mm512_mask_add_ps(acc, k, acc, e);
  }
  const __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(acc));
  for (size_t j = 0; j < len; j += 16) {
    __mmask16 k = avx512::mask16(len - j);
    _mm512_mask_storeu_ps(s + j, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, s + j), inv));
  }
  for (size_t j = len; j < row_len; j++) s[j] = 0.f;
  return true;
}

}  // namespace ctl
#endif
