// The AVX2/FMA GEMM micro-kernel (this file is compiled with -mavx2 -mfma; only intrinsics and
// file-local code here, so no inline function of a shared header is emitted with AVX2 instructions).
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

#include "ops/gemm_kernel.h"
#include "ops/gemm_kernel_isa.h"

namespace ctl {

// C[6,16] (+)= Σ_k ap[k,0:6]ᵀ · bp[k,0:16]  (12 ymm accumulators, FMA). The six rows are written out
// by hand: written as loops over an accumulator array, GCC 12 keeps the array on the stack (a store
// per accumulator per step) unless every loop that touches it is unrolled, which nothing enforces.
void gemm_micro_avx2(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, bool acc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (size_t i = 0; i < MR; i++) {  // the C tile arrives while the loop runs
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (size_t p = 0; p < kc; p++) {
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * NR), _MM_HINT_T0);
    __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
    __m256 a = _mm256_broadcast_ss(ap);
    c00 = _mm256_fmadd_ps(a, b0, c00);
    c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(ap + 1);
    c10 = _mm256_fmadd_ps(a, b0, c10);
    c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(ap + 2);
    c20 = _mm256_fmadd_ps(a, b0, c20);
    c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(ap + 3);
    c30 = _mm256_fmadd_ps(a, b0, c30);
    c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(ap + 4);
    c40 = _mm256_fmadd_ps(a, b0, c40);
    c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(ap + 5);
    c50 = _mm256_fmadd_ps(a, b0, c50);
    c51 = _mm256_fmadd_ps(a, b1, c51);
    ap += MR;
    bp += NR;
  }
  __m256 r[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (size_t i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    if (acc) {
      r[i][0] = _mm256_add_ps(r[i][0], _mm256_loadu_ps(ci));
      r[i][1] = _mm256_add_ps(r[i][1], _mm256_loadu_ps(ci + 8));
    }
    _mm256_storeu_ps(ci, r[i][0]);
    _mm256_storeu_ps(ci + 8, r[i][1]);
  }
}

}  // namespace ctl

#endif
