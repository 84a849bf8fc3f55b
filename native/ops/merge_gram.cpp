// Gram matrices of the merge inputs over segments (karcher, model_stock) and model_stock's write
// pass. A segment is split into fixed blocks of kBlock elements (units); each unit's sums use 8
// interleaved float64 accumulators, reduced ((0+1)+(2+3))+((4+5)+(6+7)), and a segment's units
// are added in order, so the result does not depend on the thread count. Units run the AVX-512
// kernels (merge_avx512.cpp) or the portable ones below (an AVX2 clone and a plain one); all give
// the same bytes.
#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "ops/merge.h"
#include "ops/merge_isa.h"
#include "ops/merge_portable.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

using namespace merge_detail;

// Segments cut into units of at most kBlock elements: unit u = segment u / per, part u % per.
struct Units {
  size_t n, seg, per, count;
  Units(size_t n_, size_t seg_) : n(n_), seg(seg_), per(seg_ ? blocks_of(seg_) : 0), count(seg_ ? (n_ / seg_) * per : 0) {}
  size_t begin(size_t u) const { return (u / per) * seg + (u % per) * kBlock; }
  size_t end(size_t u) const { return std::min((u / per) * seg + seg, begin(u) + kBlock); }
  // units per parallel task: about kBlock elements each
  size_t grain() const { return std::max<size_t>(1, kBlock / std::max<size_t>(1, std::min(seg, kBlock))); }
};

// Per-thread buffers of the portable passes: one block of a decoded input and M deltas.
struct GramBuf {
  std::vector<float> x, b;
  std::vector<std::vector<double>> d;
  GramBuf(size_t M) : x(kBlock), b(kBlock), d(M, std::vector<double>(kBlock)) {}
};

// sums[p(a, b)] = Σ_i δ_a[i]·δ_b[i] over [b0, e0), δ_j = f64(x_j) − f64(base) (or f64(x_j)).
CTL_INLINE void gram_block(size_t b0, size_t e0, MergeInput base, const MergeInput* xs, size_t M, GramBuf& buf, double* sums) {
  const size_t m = e0 - b0;
  if (base.data) decode(base, b0, e0, buf.b.data());
  for (size_t j = 0; j < M; j++) {
    decode(xs[j], b0, e0, buf.x.data());
    double* d = buf.d[j].data();
    const float *x = buf.x.data(), *bb = buf.b.data();
    if (base.data) {
      for (size_t i = 0; i < m; i++) d[i] = double(x[i]) - double(bb[i]);
    } else {
      for (size_t i = 0; i < m; i++) d[i] = double(x[i]);
    }
  }
  size_t p = 0;
  for (size_t a = 0; a < M; a++) {
    for (size_t c = a; c < M; c++, p++) {
      const double *da = buf.d[a].data(), *dc = buf.d[c].data();
      double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (size_t i = 0; i < m; i++) acc[i & 7] += da[i] * dc[i];
      sums[p] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
  }
}

__attribute__((target("avx2,fma"))) void gram_block_avx2(size_t b0, size_t e0, MergeInput base, const MergeInput* xs, size_t M, GramBuf& buf, double* sums) {
  gram_block(b0, e0, base, xs, M, buf, sums);
}
void gram_block_generic(size_t b0, size_t e0, MergeInput base, const MergeInput* xs, size_t M, GramBuf& buf, double* sums) {
  gram_block(b0, e0, base, xs, M, buf, sums);
}

// out[b0:e0] = (t·Σ_a x_a) / N + (1 − t)·base, encoded (throws on a non-finite result).
CTL_INLINE void stock_block(size_t b0, size_t e0, MergeInput base, const MergeInput* xs, size_t N, double t, GramBuf& buf, void* out, int od) {
  const size_t m = e0 - b0;
  double* avg = buf.d[0].data();
  for (size_t i = 0; i < m; i++) avg[i] = 0;
  for (size_t a = 0; a < N; a++) {
    decode(xs[a], b0, e0, buf.x.data());
    const float* x = buf.x.data();
    for (size_t i = 0; i < m; i++) avg[i] += double(x[i]);
  }
  decode(base, b0, e0, buf.b.data());
  const float* bb = buf.b.data();
  const double nn = double(N), u = 1 - t;
  for (size_t i = 0; i < m; i++) avg[i] = (t * avg[i]) / nn + u * double(bb[i]);
  encode(avg, b0, e0, out, od);
}

__attribute__((target("avx2,fma"))) void stock_block_avx2(size_t b0, size_t e0, MergeInput base, const MergeInput* xs, size_t N, double t, GramBuf& buf, void* out, int od) {
  stock_block(b0, e0, base, xs, N, t, buf, out, od);
}
void stock_block_generic(size_t b0, size_t e0, MergeInput base, const MergeInput* xs, size_t N, double t, GramBuf& buf, void* out, int od) {
  stock_block(b0, e0, base, xs, N, t, buf, out, od);
}

// Math.max(p, 1e-6) and Math.min(1, Math.max(−1, v)) as in JavaScript (NaN stays NaN).
inline double js_floor_1e6(double p) { return p > 1e-6 || p != p ? p : 1e-6; }
inline double js_clamp1(double v) { return v != v ? v : v < -1 ? -1 : v > 1 ? 1 : v; }

void check_models(const char* fn, size_t n, size_t seg, size_t M) {
  if (M == 0 || M > 64) throw std::invalid_argument(std::string(fn) + ": expected 1 to 64 models");
  if (n && (seg == 0 || n % seg)) throw std::invalid_argument(std::string(fn) + ": the segment length " + std::to_string(seg) + " does not divide " + std::to_string(n) + " elements");
}

}  // namespace

void merge_gram(size_t n, size_t seg, MergeInput base, const std::vector<MergeInput>& xs, double* sums) {
  const size_t M = xs.size(), P = M * (M + 1) / 2;
  check_models("mergeGram", n, seg, M);
  if (n == 0) return;
  const Units units(n, seg);
  const bool wide = use_avx512(), simd = use_avx2_fma();
  std::vector<double> part(units.count * P);
  parallel_for(units.count, units.grain(), [&](size_t ub, size_t ue) {
    std::unique_ptr<GramBuf> buf;
    for (size_t u = ub; u < ue; u++) {
      const size_t b0 = units.begin(u), e0 = units.end(u);
      double* s = part.data() + u * P;
#if defined(__x86_64__) || defined(__i386__)
      if (wide && gram_avx512(b0, e0, base, xs.data(), M, s)) continue;
#else
      (void)wide;
#endif
      if (!buf) buf.reset(new GramBuf(M));
      if (simd) gram_block_avx2(b0, e0, base, xs.data(), M, *buf, s);
      else gram_block_generic(b0, e0, base, xs.data(), M, *buf, s);
    }
  });
  const size_t nseg = n / seg;
  for (size_t s = 0; s < nseg; s++) {
    for (size_t p = 0; p < P; p++) {
      double acc = 0;
      for (size_t k = 0; k < units.per; k++) acc += part[(s * units.per + k) * P + p];
      sums[s * P + p] = acc;
    }
  }
}

void merge_model_stock(size_t n, size_t seg, MergeInput base, const std::vector<MergeInput>& xs, void* out, int out_dtype) {
  const size_t N = xs.size(), P = N * (N + 1) / 2;
  check_models("mergeModelStock", n, seg, N);
  if (n == 0) return;
  const size_t nseg = n / seg;
  std::vector<double> sums(nseg * P), t(nseg);
  merge_gram(n, seg, base, xs, sums.data());
  // row of a in the upper triangle starts at a·N − a(a − 1)/2
  auto at = [N](size_t a, size_t b) { return a * N - a * (a - 1) / 2 + (b - a); };
  for (size_t s = 0; s < nseg; s++) {
    const double* g = sums.data() + s * P;
    double cs = 0;
    size_t pairs = 0;
    for (size_t a = 0; a < N; a++) {
      for (size_t b = a + 1; b < N; b++, pairs++) {
        cs += js_clamp1(g[at(a, b)] / js_floor_1e6(std::sqrt(g[at(a, a)]) * std::sqrt(g[at(b, b)])));
      }
    }
    const double cos = cs / double(pairs);
    t[s] = (double(N) * cos) / (1 + (double(N) - 1) * cos);
  }
  const Units units(n, seg);
  const bool wide = use_avx512(), simd = use_avx2_fma();
  FirstError err;
  parallel_for(units.count, units.grain(), [&](size_t ub, size_t ue) {
    std::unique_ptr<GramBuf> buf;
    for (size_t u = ub; u < ue && !err.after(u); u++) {
      const size_t b0 = units.begin(u), e0 = units.end(u);
      const double ts = t[u / units.per];
#if defined(__x86_64__) || defined(__i386__)
      if (wide && stock_write_avx512(b0, e0, base, xs.data(), N, ts, out, out_dtype)) continue;
#else
      (void)wide;
#endif
      if (!buf) buf.reset(new GramBuf(1));  // the portable way (or the error of a non-finite result)
      try {
        if (simd) stock_block_avx2(b0, e0, base, xs.data(), N, ts, *buf, out, out_dtype);
        else stock_block_generic(b0, e0, base, xs.data(), N, ts, *buf, out, out_dtype);
      } catch (const std::runtime_error& e) {
        err.note(u, e);
      }
    }
  });
  err.rethrow();
}

}  // namespace ctl
