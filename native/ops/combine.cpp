// Combine: blocks of the basis stay in L1 while all K rows are formed from them.
#include "ops/combine.h"

#include <algorithm>
#include <cstdint>

#include "ops/aligned_buffer.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ctl {
namespace {

constexpr size_t kBlock = 1024;

// out_k[b:e] = Σ_j C[k,j] · basis_j[b:e] in float64 (portable)
void combine_block_generic(size_t b, size_t e, size_t m, const float* const* basis, size_t k, const double* coeffs,
                           float* const* outs) {
  for (size_t r = 0; r < k; r++) {
    const double* c = coeffs + r * m;
    float* o = outs[r];
    for (size_t i = b; i < e; i++) o[i] = combine_at(m, basis, c, i);
  }
}

#if defined(__x86_64__) || defined(__i386__)
constexpr size_t kSub = 256;  // elements whose float64 basis values are converted once for all K rows

// out_k[b:e] = Σ_j C[k,j] · basis_j[b:e]: each run of kSub elements of every basis tensor is widened to
// float64 once (bd, m·kSub doubles, stays in L1), then each row is 2 multiply-adds per 4 elements;
// streaming stores when 16-byte aligned
__attribute__((target("avx2,fma"))) void combine_block_avx2(size_t b, size_t e, size_t m, const float* const* basis,
                                                             size_t k, const double* coeffs, float* const* outs,
                                                             bool stream, double* bd) {
  size_t v_end = b + (e - b) / 8 * 8;
  for (size_t s0 = b; s0 < v_end; s0 += kSub) {
    size_t s1 = std::min(v_end, s0 + kSub), n = s1 - s0;
    for (size_t j = 0; j < m; j++)
      for (size_t i = 0; i < n; i += 4) _mm256_store_pd(bd + j * kSub + i, _mm256_cvtps_pd(_mm_loadu_ps(basis[j] + s0 + i)));
    for (size_t r = 0; r < k; r++) {
      const double* c = coeffs + r * m;
      float* o = outs[r] + s0;
      for (size_t i = 0; i < n; i += 8) {
        __m256d lo = _mm256_setzero_pd(), hi = lo;
        for (size_t j = 0; j < m; j++) {  // multiply, then add: no FMA, as the reference rounds
          __m256d cj = _mm256_broadcast_sd(c + j);
          lo = _mm256_add_pd(lo, _mm256_mul_pd(cj, _mm256_load_pd(bd + j * kSub + i)));
          hi = _mm256_add_pd(hi, _mm256_mul_pd(cj, _mm256_load_pd(bd + j * kSub + i + 4)));
        }
        if (stream) {
          _mm_stream_ps(o + i, _mm256_cvtpd_ps(lo));
          _mm_stream_ps(o + i + 4, _mm256_cvtpd_ps(hi));
        } else {
          _mm256_storeu_ps(o + i, _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo)));
        }
      }
    }
  }
  if (v_end < e) combine_block_generic(v_end, e, m, basis, k, coeffs, outs);
}
#endif

}  // namespace

void combine(size_t len, size_t m, const float* const* basis, size_t k, const double* coeffs, float* const* outs) {
  [[maybe_unused]] bool simd = use_avx2_fma();
  bool aligned = true;
  for (size_t r = 0; r < k; r++) aligned = aligned && reinterpret_cast<uintptr_t>(outs[r]) % 16 == 0;
  // streaming stores skip the read-for-ownership of outputs that will not be read back soon
  [[maybe_unused]] bool stream = aligned && len * k * sizeof(float) > (size_t(8) << 20);
  size_t blocks = (len + kBlock - 1) / kBlock;
  parallel_for(blocks, 16, [&](size_t bb, size_t be) {
#if defined(__x86_64__) || defined(__i386__)
    thread_local AlignedBuffer widened;
    double* bd = simd ? reinterpret_cast<double*>(widened.get(2 * m * kSub)) : nullptr;
#endif
    for (size_t blk = bb; blk < be; blk++) {
      size_t b = blk * kBlock, e = std::min(len, b + kBlock);
#if defined(__x86_64__) || defined(__i386__)
      if (simd) {
        combine_block_avx2(b, e, m, basis, k, coeffs, outs, stream, bd);
        continue;
      }
#endif
      combine_block_generic(b, e, m, basis, k, coeffs, outs);
    }
#if defined(__x86_64__) || defined(__i386__)
    if (stream) _mm_sfence();
#endif
  });
}

}  // namespace ctl
