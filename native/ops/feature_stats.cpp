// featureStats, featureProducts: fixed-size chunks of each sample give partial sums, reduced in a fixed order
// (the result does not depend on the thread count).
#include "ops/feature_stats.h"

#include <algorithm>
#include <vector>

#include "ops/feature_stats_isa.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ctl {
namespace {

constexpr size_t kChunk = 8192;

struct Sums {
  double dot = 0, ff = 0, gg = 0;
};

// Σ f·g, Σ f², Σ g² over [b, e) with g = Σ_j c_j basis_j (portable)
Sums chunk_generic(size_t b, size_t e, const float* f, size_t m, const float* const* basis, const double* c) {
  Sums s;
  for (size_t i = b; i < e; i++) {
    double g = 0.0;
    for (size_t j = 0; j < m; j++) g += c[j] * double(basis[j][i]);
    double fv = f[i];
    s.dot += fv * g;
    s.ff += fv * fv;
    s.gg += g * g;
  }
  return s;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) double hsum(__m256d v) {
  __m128d x = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(x, _mm_unpackhi_pd(x, x)));
}

// Σ f·g, Σ f², Σ g² over [b, e) with g = Σ_j c_j basis_j, four float64 lanes
__attribute__((target("avx2,fma"))) Sums chunk_avx2(size_t b, size_t e, const float* f, size_t m,
                                                     const float* const* basis, const double* c) {
  __m256d dot = _mm256_setzero_pd(), ff = dot, gg = dot;
  size_t v_end = b + (e - b) / 4 * 4;
  for (size_t i = b; i < v_end; i += 4) {
    __m256d g = _mm256_setzero_pd();
    for (size_t j = 0; j < m; j++)
      g = _mm256_fmadd_pd(_mm256_broadcast_sd(c + j), _mm256_cvtps_pd(_mm_loadu_ps(basis[j] + i)), g);
    __m256d fv = _mm256_cvtps_pd(_mm_loadu_ps(f + i));
    dot = _mm256_fmadd_pd(fv, g, dot);
    ff = _mm256_fmadd_pd(fv, fv, ff);
    gg = _mm256_fmadd_pd(g, g, gg);
  }
  Sums s = chunk_generic(v_end, e, f, m, basis, c);
  s.dot += hsum(dot);
  s.ff += hsum(ff);
  s.gg += hsum(gg);
  return s;
}
#endif

// sums[j] += Σ f·basis_j for j < m, sums[m] += Σ f² over [b, e) (portable)
void products_generic(size_t b, size_t e, const float* f, size_t m, const float* const* basis, double* sums) {
  for (size_t i = b; i < e; i++) {
    double fv = f[i];
    for (size_t j = 0; j < m; j++) sums[j] += fv * double(basis[j][i]);
    sums[m] += fv * fv;
  }
}

#if defined(__x86_64__) || defined(__i386__)
// products_generic for m = M with four float64 lanes: M is a template argument so the M + 1
// accumulators live in registers, and two sets of them (8 elements a step) hide the FMA latency.
template <size_t M>
__attribute__((target("avx2,fma"))) void products_avx2(size_t b, size_t e, const float* f, const float* const* basis,
                                                        double* sums) {
  __m256d acc[2][M + 1];
  for (size_t u = 0; u < 2; u++)
    for (size_t j = 0; j <= M; j++) acc[u][j] = _mm256_setzero_pd();
  size_t v_end = b + (e - b) / 8 * 8;
  for (size_t i = b; i < v_end; i += 8) {
    for (size_t u = 0; u < 2; u++) {
      __m256d fv = _mm256_cvtps_pd(_mm_loadu_ps(f + i + 4 * u));
      for (size_t j = 0; j < M; j++)
        acc[u][j] = _mm256_fmadd_pd(fv, _mm256_cvtps_pd(_mm_loadu_ps(basis[j] + i + 4 * u)), acc[u][j]);
      acc[u][M] = _mm256_fmadd_pd(fv, fv, acc[u][M]);
    }
  }
  for (size_t j = 0; j <= M; j++) sums[j] += hsum(_mm256_add_pd(acc[0][j], acc[1][j]));
  products_generic(v_end, e, f, M, basis, sums);
}

// The AVX2 products kernel for m basis tensors, or null (m > 8: the portable one).
ProductsFn products_avx2_for(size_t m) {
  switch (m) {
    case 1: return products_avx2<1>;
    case 2: return products_avx2<2>;
    case 3: return products_avx2<3>;
    case 4: return products_avx2<4>;
    case 5: return products_avx2<5>;
    case 6: return products_avx2<6>;
    case 7: return products_avx2<7>;
    case 8: return products_avx2<8>;
    default: return nullptr;
  }
}
#endif

// Each of n samples (per_sample elements) in chunks of kChunk: add(b, e, part) fills `width` sums of
// elements [b, e) into its own zeroed part, on the pool; per sample, the chunks' parts are then added
// in a fixed order into out[s·width + j], so the result does not depend on the thread count.
template <class Add>
std::vector<double> per_sample_sums(size_t n, size_t per_sample, size_t width, const Add& add) {
  size_t chunks = std::max<size_t>(1, (per_sample + kChunk - 1) / kChunk);
  std::vector<double> part(n * chunks * width, 0.0), out(n * width, 0.0);
  parallel_for(n * chunks, std::max<size_t>(1, 4 / chunks), [&](size_t tb, size_t te) {
    for (size_t t = tb; t < te; t++) {
      size_t s = t / chunks, b = s * per_sample + (t % chunks) * kChunk;
      add(b, std::min(s * per_sample + per_sample, b + kChunk), part.data() + t * width);
    }
  });
  for (size_t s = 0; s < n; s++)
    for (size_t q = 0; q < chunks; q++)
      for (size_t j = 0; j < width; j++) out[s * width + j] += part[(s * chunks + q) * width + j];
  return out;
}

}  // namespace

void feature_products(size_t n, size_t per_sample, size_t nf, const float* const* fs, size_t m,
                      const float* const* basis, double* const* dots, double* const* ff) {
  [[maybe_unused]] void (*fast)(size_t, size_t, const float*, const float* const*, double*) = nullptr;
#if defined(__x86_64__) || defined(__i386__)
  if (use_avx512()) fast = products_avx512_for(m);
  else if (use_avx2_fma()) fast = products_avx2_for(m);
#endif
  size_t width = nf * (m + 1);
  std::vector<double> sums = per_sample_sums(n, per_sample, width, [&](size_t b, size_t e, double* part) {
    for (size_t i = 0; i < nf; i++) {  // the basis chunk stays in cache across the fs
      if (fast != nullptr) {
        fast(b, e, fs[i], basis, part + i * (m + 1));
        continue;
      }
      products_generic(b, e, fs[i], m, basis, part + i * (m + 1));
    }
  });
  for (size_t s = 0; s < n; s++)
    for (size_t i = 0; i < nf; i++) {
      const double* si = sums.data() + s * width + i * (m + 1);
      for (size_t j = 0; j < m; j++) dots[i][s * m + j] = si[j];
      ff[i][s] = si[m];
    }
}

void feature_stats(size_t n, size_t per_sample, const float* f, size_t m, const float* const* basis, const double* c,
                   double* dot, double* ff, double* gg) {
  [[maybe_unused]] bool simd = use_avx2_fma(), avx512 = use_avx512();
  std::vector<double> sums = per_sample_sums(n, per_sample, 3, [&](size_t b, size_t e, double* part) {
#if defined(__x86_64__) || defined(__i386__)
    if (avx512) return stats_avx512(b, e, f, m, basis, c, part);
    Sums r = simd ? chunk_avx2(b, e, f, m, basis, c) : chunk_generic(b, e, f, m, basis, c);
#else
    Sums r = chunk_generic(b, e, f, m, basis, c);
#endif
    part[0] = r.dot, part[1] = r.ff, part[2] = r.gg;
  });
  for (size_t s = 0; s < n; s++) dot[s] = sums[3 * s], ff[s] = sums[3 * s + 1], gg[s] = sums[3 * s + 2];
}

}  // namespace ctl
