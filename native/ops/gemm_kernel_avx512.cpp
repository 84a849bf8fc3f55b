// The AVX-512 GEMM micro-kernels (this file is compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512dq -mfma; only intrinsics and file-local code here, so no inline function of a shared
// header is emitted with AVX-512 instructions).
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

#include "ops/gemm_kernel.h"
#include "ops/gemm_kernel_isa.h"

namespace ctl {
namespace {

// C[AP·6, BP·16] (+)= Σ_k A[k]ᵀ · B[k] over AP A panels (as floats apart) and BP B panels (bs apart);
// C row i of B panel j at c + i·ldc + j·cs. AP·6·BP zmm accumulators, BP loads and AP·6 broadcasts per k. Every loop over the accumulator
// array is unrolled in full, so GCC keeps it in registers (checked in the disassembly: no stack
// traffic in the k loop).
template <int AP, int BP>
inline __attribute__((always_inline)) void tile(size_t kc, const float* ap, size_t as, const float* bp, size_t bs,
                                                float* c, size_t cs, size_t ldc, bool acc) {
  constexpr int R = AP * 6;
  __m512 t[R][BP];
#pragma GCC unroll 64
  for (int i = 0; i < R; i++)
#pragma GCC unroll 8
    for (int j = 0; j < BP; j++) t[i][j] = _mm512_setzero_ps();
#pragma GCC unroll 64
  for (int i = 0; i < R; i++)  // the C tile arrives while the loop runs
#pragma GCC unroll 8
    for (int j = 0; j < BP; j++) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + j * cs), _MM_HINT_T0);
#pragma GCC unroll 2
  for (size_t p = 0; p < kc; p++) {
    __m512 b[BP];
#pragma GCC unroll 8
    for (int j = 0; j < BP; j++) {
      _mm_prefetch(reinterpret_cast<const char*>(bp + j * bs + 8 * 16), _MM_HINT_T0);
      b[j] = _mm512_loadu_ps(bp + j * bs);
    }
#pragma GCC unroll 8
    for (int q = 0; q < AP; q++)
#pragma GCC unroll 8
      for (int i = 0; i < 6; i++) {
        __m512 a = _mm512_set1_ps(ap[q * as + i]);
#pragma GCC unroll 8
        for (int j = 0; j < BP; j++) t[q * 6 + i][j] = _mm512_fmadd_ps(a, b[j], t[q * 6 + i][j]);
      }
    ap += 6;
    bp += 16;
  }
#pragma GCC unroll 64
  for (int i = 0; i < R; i++) {
    float* ci = c + i * ldc;
#pragma GCC unroll 8
    for (int j = 0; j < BP; j++) {
      __m512 v = acc ? _mm512_add_ps(t[i][j], _mm512_loadu_ps(ci + j * cs)) : t[i][j];
      _mm512_storeu_ps(ci + j * cs, v);
    }
  }
}

}  // namespace

// C[6,16] (+)= Σ_k ap[k,0:6]ᵀ · bp[k,0:16]  (edge tiles and the Winograd products): even and odd k
// in separate accumulators, 12 zmm chains, enough to cover FMA latency × 2 ports (6 would not).
void gemm_micro_avx512(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, bool acc) {
  __m512 e[6], o[6];
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) {
    e[i] = _mm512_setzero_ps();
    o[i] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  }
  size_t p = 0;
#pragma GCC unroll 2
  for (; p + 2 <= kc; p += 2) {
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * 16), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(bp + 9 * 16), _MM_HINT_T0);
    __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
      e[i] = _mm512_fmadd_ps(_mm512_set1_ps(ap[i]), b0, e[i]);
      o[i] = _mm512_fmadd_ps(_mm512_set1_ps(ap[6 + i]), b1, o[i]);
    }
    ap += 12;
    bp += 32;
  }
  if (p < kc) {
    __m512 b0 = _mm512_loadu_ps(bp);
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) e[i] = _mm512_fmadd_ps(_mm512_set1_ps(ap[i]), b0, e[i]);
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) {
    __m512 v = _mm512_add_ps(e[i], o[i]);
    if (acc) v = _mm512_add_ps(v, _mm512_loadu_ps(c + i * ldc));
    _mm512_storeu_ps(c + i * ldc, v);
  }
}

// C[12,32] (+)= Σ_k A[k, 0:12]ᵀ · B[k, 0:32]  (2 A panels × 2 B panels, 24 zmm accumulators)
void gemm_wide_avx512(size_t kc, const float* ap, size_t as, const float* bp, size_t bs, float* c, size_t ldc, bool acc) {
  tile<GEMM_AVX512_A_PANELS, GEMM_AVX512_B_PANELS>(kc, ap, as, bp, bs, c, 16, ldc, acc);
}

// C_j[6,16] (+)= Σ_k A[k, 0:6]ᵀ · B_j[k, 0:16] for 4 or 2 B panels (bs apart), C_j at c + j·cs
// (24 or 12 zmm accumulators: one A panel against a strip of B panels, as the Winograd products are)
void gemm_strip4_avx512(size_t kc, const float* ap, const float* bp, size_t bs, float* c, size_t cs, size_t ldc, bool acc) {
  tile<1, 4>(kc, ap, 0, bp, bs, c, cs, ldc, acc);
}
void gemm_strip2_avx512(size_t kc, const float* ap, const float* bp, size_t bs, float* c, size_t cs, size_t ldc, bool acc) {
  tile<1, 2>(kc, ap, 0, bp, bs, c, cs, ldc, acc);
}

}  // namespace ctl

#endif
