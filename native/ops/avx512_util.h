// Small AVX-512 helpers shared by the *_avx512.cpp kernels: tail masks, a widening masked load and a
// fixed-order horizontal sum. Include only from translation units compiled with the AVX-512 flags.
#pragma once
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <cstddef>

namespace ctl {
namespace avx512 {

// The first min(count, 16) lanes.
static inline __mmask16 mask16(size_t count) { return count >= 16 ? __mmask16(0xffff) : __mmask16((1u << count) - 1); }
// The first min(count, 8) lanes.
static inline __mmask8 mask8(size_t count) { return count >= 8 ? __mmask8(0xff) : __mmask8((1u << count) - 1); }

// 8 floats of p from i, widened to float64; lanes at or past n are 0. (The maskz_ forms: GCC 12
// warns on the undefined source operand of the unmasked _mm512_cvtps_pd.)
static inline __m512d load8(const float* p, size_t i, size_t n) {
  __mmask8 k = mask8(n - i);
  return _mm512_maskz_cvtps_pd(k, _mm256_maskz_loadu_ps(k, p + i));
}

// The sum of v's lanes, in the order ((0+4) + (2+6)) + ((1+5) + (3+7)).
static inline double hsum(__m512d v) {
  alignas(64) double x[8];
  _mm512_store_pd(x, v);
  return ((x[0] + x[4]) + (x[2] + x[6])) + ((x[1] + x[5]) + (x[3] + x[7]));
}

}  // namespace avx512
}  // namespace ctl
#endif
