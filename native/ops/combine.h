// Weight combination over a basis of tensors.
#pragma once
#include <cstddef>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ctl {

// One element of combine: float32(Σ_j coeffs[j] · basis_j[i]), multiply then add in float64, j in order.
// Readers that form a combination on the fly (the conv's weight sum) use it, so they match combine bit for bit.
inline float combine_at(size_t m, const float* const* basis, const double* coeffs, size_t i) {
  double acc = 0.0;
  for (size_t j = 0; j < m; j++) acc += coeffs[j] * double(basis[j][i]);
  return float(acc);
}

#if defined(__x86_64__) || defined(__i386__)
// combine_at for elements [i, i + 8) on AVX2, the arithmetic of combine's AVX2 kernel.
__attribute__((target("avx2,fma"))) inline __m256 combine8_avx2(size_t m, const float* const* basis,
                                                                 const double* coeffs, size_t i) {
  __m256d lo = _mm256_setzero_pd(), hi = lo;
  for (size_t j = 0; j < m; j++) {  // multiply, then add: no FMA, as the reference rounds
    __m256 b = _mm256_loadu_ps(basis[j] + i);
    __m256d cj = _mm256_broadcast_sd(coeffs + j);
    lo = _mm256_add_pd(lo, _mm256_mul_pd(cj, _mm256_cvtps_pd(_mm256_castps256_ps128(b))));
    hi = _mm256_add_pd(hi, _mm256_mul_pd(cj, _mm256_cvtps_pd(_mm256_extractf128_ps(b, 1))));
  }
  return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
}
#endif

// out_k[i] = float32(Σ_j C[k,j] · basis_j[i]), the sum in float64 in order j = 0..m−1; one pass over the basis.
void combine(size_t len, size_t m, const float* const* basis, size_t k, const double* coeffs, float* const* outs);

}  // namespace ctl
