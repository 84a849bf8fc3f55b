// The AVX-512 peak loop (compiled with the AVX-512 flags; intrinsics and file-local code only).
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

#include "ops/ceilings_isa.h"

namespace ctl {

// acc_i = acc_i · m + a on 12 independent zmm chains (2 FMA ports × 4 cycles latency need 8).
float fma_loop_avx512(size_t iterations) {
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-6f);
  __m512 c0 = _mm512_set1_ps(1.0f), c1 = _mm512_set1_ps(1.1f), c2 = _mm512_set1_ps(1.2f),
         c3 = _mm512_set1_ps(1.3f), c4 = _mm512_set1_ps(1.4f), c5 = _mm512_set1_ps(1.5f),
         c6 = _mm512_set1_ps(1.6f), c7 = _mm512_set1_ps(1.7f), c8 = _mm512_set1_ps(1.8f),
         c9 = _mm512_set1_ps(1.9f), c10 = _mm512_set1_ps(2.0f), c11 = _mm512_set1_ps(2.1f);
  for (size_t i = 0; i < iterations; i++) {
    c0 = _mm512_fmadd_ps(c0, m, a); c1 = _mm512_fmadd_ps(c1, m, a); c2 = _mm512_fmadd_ps(c2, m, a);
    c3 = _mm512_fmadd_ps(c3, m, a); c4 = _mm512_fmadd_ps(c4, m, a); c5 = _mm512_fmadd_ps(c5, m, a);
    c6 = _mm512_fmadd_ps(c6, m, a); c7 = _mm512_fmadd_ps(c7, m, a); c8 = _mm512_fmadd_ps(c8, m, a);
    c9 = _mm512_fmadd_ps(c9, m, a); c10 = _mm512_fmadd_ps(c10, m, a); c11 = _mm512_fmadd_ps(c11, m, a);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                           _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
  alignas(64) float out[16];  // (not _mm512_reduce_add_ps: GCC 12 warns on its undefined upper halves)
  _mm512_store_ps(out, s);
  float sum = 0.0f;
  for (int i = 0; i < 16; i++) sum += out[i];
  return sum;
}

}  // namespace ctl

#endif
