// featureProducts and featureStats chunks on AVX-512, eight float64 lanes (this file is compiled with
// the AVX-512 flags; intrinsics and file-local code only, so nothing shared is emitted with AVX-512
// instructions). Tails (fewer than 16 or 8 elements) go through masked loads: the same sums as the
// lanes would give, in no extra pass.
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

#include "ops/avx512_util.h"
#include "ops/feature_stats_isa.h"

namespace ctl {
namespace {

using avx512::hsum;
using avx512::load8;

// sums[j] += Σ f·basis_j for j < M, sums[M] += Σ f² over [b, e): the M + 1 accumulators in
// registers, two sets of them (16 elements a step) to hide the FMA latency.
template <size_t M>
void products(size_t b, size_t e, const float* f, const float* const* basis, double* sums) {
  __m512d acc[2][M + 1];
#pragma GCC unroll 2
  for (size_t u = 0; u < 2; u++)
#pragma GCC unroll 9
    for (size_t j = 0; j <= M; j++) acc[u][j] = _mm512_setzero_pd();
  for (size_t i = b; i < e; i += 16) {
#pragma GCC unroll 2
    for (size_t u = 0; u < 2; u++) {
      size_t at = i + 8 * u;
      if (at >= e) break;
      __m512d fv = load8(f, at, e);
#pragma GCC unroll 8
      for (size_t j = 0; j < M; j++) acc[u][j] = _mm512_fmadd_pd(fv, load8(basis[j], at, e), acc[u][j]);
      acc[u][M] = _mm512_fmadd_pd(fv, fv, acc[u][M]);
    }
  }
#pragma GCC unroll 9
  for (size_t j = 0; j <= M; j++) sums[j] += hsum(_mm512_add_pd(acc[0][j], acc[1][j]));
}

}  // namespace

ProductsFn products_avx512_for(size_t m) {
  switch (m) {
    case 1: return products<1>;
    case 2: return products<2>;
    case 3: return products<3>;
    case 4: return products<4>;
    case 5: return products<5>;
    case 6: return products<6>;
    case 7: return products<7>;
    case 8: return products<8>;
    default: return nullptr;
  }
}

// out = {Σ f·g, Σ f², Σ g²} over [b, e) with g = Σ_j c_j basis_j, eight float64 lanes
void stats_avx512(size_t b, size_t e, const float* f, size_t m, const float* const* basis, const double* c, double* out) {
  __m512d dot = _mm512_setzero_pd(), ff = dot, gg = dot;
  for (size_t i = b; i < e; i += 8) {
    __m512d g = _mm512_setzero_pd();
    for (size_t j = 0; j < m; j++) g = _mm512_fmadd_pd(_mm512_set1_pd(c[j]), load8(basis[j], i, e), g);
    __m512d fv = load8(f, i, e);
    dot = _mm512_fmadd_pd(fv, g, dot);
    ff = _mm512_fmadd_pd(fv, fv, ff);
    gg = _mm512_fmadd_pd(g, g, gg);
  }
  out[0] = hsum(dot);
  out[1] = hsum(ff);
  out[2] = hsum(gg);
}

}  // namespace ctl

#endif
