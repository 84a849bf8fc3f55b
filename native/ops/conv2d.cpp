// Convolution as an implicit GEMM per group: W_g[og, cg·kh·kw] · col[cg·kh·kw, samples·oh·ow], the
// columns packed straight from the image into the GEMM's B panels (Winograd for 3×3/stride 1).
#include "ops/conv2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/aligned_buffer.h"
#include "ops/combine.h"
#include "ops/gemm.h"
#include "ops/gemm_kernel.h"
#include "ops/winograd.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ctl {
namespace {

thread_local AlignedBuffer out_buffer;

// Output positions per GEMM when the output planes cannot be written in place (their size is not a
// multiple of NR): samples are batched until about this many columns,
constexpr size_t kTargetColumns = 4096;
// as long as the GEMM output buffer stays under this many floats (16 MiB).
constexpr size_t kMaxOutFloats = size_t(4) << 20;

#if defined(__x86_64__) || defined(__i386__)
// out[t] = src[t·sw] for t in [lo, hi), 0 for the other t < n; n ∈ {4, 8, 16}, sw ∈ {1, 2}. Reads
// all of src[0, n·sw) (the caller checks it lies inside the image) and zeroes the lanes outside
// [lo, hi) — the per-row work of ConvColumns::pack without library calls or scalar loops.
// All-ones in lane i when t0 + i lies in [lo, hi).
__attribute__((target("avx2"))) inline __m256 lanes_inside(long t0, long lo, long hi) {
  __m256i t = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(int(t0)));
  return _mm256_castsi256_ps(_mm256_and_si256(_mm256_cmpgt_epi32(t, _mm256_set1_epi32(int(lo - 1))),
                                              _mm256_cmpgt_epi32(_mm256_set1_epi32(int(hi)), t)));
}

__attribute__((target("avx2"))) void pack_run_avx2(float* out, const float* src, long n, long sw, long lo, long hi) {
  if (n == 4) {
    __m128 v = sw == 1 ? _mm_loadu_ps(src) : _mm_shuffle_ps(_mm_loadu_ps(src), _mm_loadu_ps(src + 4), 0x88);
    _mm_storeu_ps(out, _mm_and_ps(v, _mm256_castps256_ps128(lanes_inside(0, lo, hi))));
    return;
  }
  for (long t0 = 0; t0 < n; t0 += 8) {
    __m256 v;
    if (sw == 1) {
      v = _mm256_loadu_ps(src + t0);
    } else {  // even lanes of two vectors: [a₀ a₂ b₀ b₂ | a₄ a₆ b₄ b₆] → [a₀ a₂ a₄ a₆ b₀ b₂ b₄ b₆]
      __m256 e = _mm256_shuffle_ps(_mm256_loadu_ps(src + 2 * t0), _mm256_loadu_ps(src + 2 * t0 + 8), 0x88);
      v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
    }
    _mm256_storeu_ps(out + t0, _mm256_and_ps(v, lanes_inside(t0, lo, hi)));
  }
}
#endif

// ConvColumns::pack prefetches image rows this many channels ahead.
constexpr size_t kPackPrefetchChannels = 4;

// The im2col matrix of group g over samples [s0, …) without storing it: column c = (sample, oy, ox),
// row (ci·kh + i)·kw + j holds x[s, g·cg + ci, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (0 outside).
class ConvColumns final : public BPanelSource {
 public:
  ConvColumns(const Conv2dArgs& a, size_t s0, size_t g, size_t cols) : a_(a), cols_(cols) {
    x_end_ = a.x + a.n * a.c * a.h * a.w;
#if defined(__x86_64__) || defined(__i386__)
    simd_ = use_avx2_fma();
#endif
    cg_ = a.c / a.groups;
    first_ = a.x + (s0 * a.c + g * cg_) * a.h * a.w;
  }

  void pack(size_t pc, size_t kc, size_t col, float* dst) const override {
    // runs of panel columns on one output row of one sample
    struct Run {
      size_t j0, len;
      const float* plane;  // channel 0 of the group in this sample
      long iy0, ix0;       // input position of the run's first column for kernel tap (0, 0)
    };
    Run runs[NR];
    size_t nruns = 0, p = a_.oh * a_.ow, hw = a_.h * a_.w, j = 0;
    while (j < NR && col + j < cols_) {
      size_t c = col + j, s = c / p, q = c % p, oy = q / a_.ow, ox = q % a_.ow;
      size_t len = std::min({NR - j, a_.ow - ox, cols_ - c});
      runs[nruns++] = Run{j, len, first_ + s * a_.c * hw, long(oy * a_.sh) - long(a_.ph), long(ox * a_.sw) - long(a_.pw)};
      j += len;
    }
    size_t valid = j;
    size_t ci = pc / (a_.kh * a_.kw), ki = (pc / a_.kw) % a_.kh, kj = pc % a_.kw;
    const long h = long(a_.h), w = long(a_.w), sw = long(a_.sw);
    // per run and kernel column: the input column of the run's first output column, and the run's
    // columns [lo, hi) that read inside the row (the divisions done once per panel, not per row)
    thread_local std::vector<long> spans;
    spans.resize(3 * nruns * a_.kw);
    for (size_t u = 0; u < nruns; u++)
      for (size_t q = 0; q < a_.kw; q++) {
        long ix0 = runs[u].ix0 + long(q * a_.dw), n = long(runs[u].len);
        long lo = std::clamp<long>((-ix0 + sw - 1) / sw, 0, n), hi = std::clamp<long>((w - ix0 + sw - 1) / sw, lo, n);
        long* sp = spans.data() + 3 * (u * a_.kw + q);
        sp[0] = ix0, sp[1] = lo, sp[2] = hi;
      }
    bool fast = simd_ && (sw == 1 || sw == 2);
    for (size_t u = 0; u < nruns; u++) fast = fast && (runs[u].len == 4 || runs[u].len == 8 || runs[u].len == 16);
    for (size_t r = 0; r < kc; r++) {
      float* d = dst + r * NR;
      for (size_t u = 0; u < nruns; u++) {
        const Run& run = runs[u];
        float* out = d + run.j0;
        long iy = run.iy0 + long(ki * a_.dh), n = long(run.len);
        if (iy < 0 || iy >= h) {
          std::fill(out, out + n, 0.f);
          continue;
        }
        const long* sp = spans.data() + 3 * (u * a_.kw + kj);
        long ix0 = sp[0], lo = sp[1], hi = sp[2];
        const float* src = run.plane + ci * hw + size_t(iy) * a_.w + ix0;
        if (kj == 0 && ci + kPackPrefetchChannels < cg_) {  // the same row a few channels (planes) ahead
          const char* ahead = reinterpret_cast<const char*>(src + lo * sw + kPackPrefetchChannels * hw);
          for (long b = 0; b < (hi - lo) * sw * long(sizeof(float)); b += 64) __builtin_prefetch(ahead + b);
        }
        // whole vectors read [src, src + n·sw): inside x, the lanes outside [lo, hi) are zeroed
        if (fast && src >= a_.x && src + n * sw <= x_end_) {
          pack_run_avx2(out, src, n, sw, lo, hi);
          continue;
        }
        std::fill(out, out + lo, 0.f);  // zeros, a (strided) run inside the row, zeros
        if (sw == 1) {
          std::memcpy(out + lo, src + lo, size_t(hi - lo) * sizeof(float));
        } else if (sw == 2) {
          for (long t = lo; t < hi; t++) out[t] = src[2 * t];
        } else {
          for (long t = lo; t < hi; t++) out[t] = src[t * sw];
        }
        std::fill(out + hi, out + n, 0.f);
      }
      std::fill(d + valid, d + NR, 0.f);
      if (++kj == a_.kw) {
        kj = 0;
        if (++ki == a_.kh) ki = 0, ci++;
      }
    }
  }

 private:
  const Conv2dArgs& a_;
  bool simd_ = false;
  const float* x_end_;
  size_t cols_, cg_;
  const float* first_;
};

// Group g of samples [s0, s0 + cnt) as one implicit GEMM W_g · columns. When a plane (oh·ow) is a
// multiple of NR the GEMM writes each sample's output planes in place; else it writes a buffer that is
// scattered into y. Bias and epilogue follow in one pass over the output.
void conv_group_batch(const Conv2dArgs& a, size_t s0, size_t cnt, size_t g, bool in_place) {
  size_t cg = a.c / a.groups, og = a.o / a.groups, k = cg * a.kh * a.kw, p = a.oh * a.ow, cols = cnt * p;
  ConvColumns columns(a, s0, g, cols);
  GemmArgs ga{og, cols, k, a.weight + g * og * k, k, nullptr, 0, false, nullptr, 0, false};
  ga.b_source = &columns;
  if (in_place) {
    ga.c = a.y + (s0 * a.o + g * og) * p;
    ga.ldc = p;
    ga.c_group = p;
    ga.c_group_stride = a.o * p;
  } else {
    ga.c = out_buffer.get(og * cols);
    ga.ldc = cols;
  }
  gemm(ga);
  if (in_place && a.bias == nullptr && !a.epi.any()) return;
  parallel_for(cnt * og, 16, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; t++) {
      size_t i = t / og, oc = t % og;
      float* dst = a.y + ((s0 + i) * a.o + g * og + oc) * p;
      const float* src = in_place ? dst : ga.c + oc * cols + i * p;
      conv_epilogue_run(a, s0 + i, g * og + oc, 0, src, a.bias != nullptr ? a.bias[g * og + oc] : 0.f, dst, p);
    }
  });
}

}  // namespace

void conv_epilogue_run(const Conv2dArgs& a, size_t s, size_t o, size_t at, const float* src, float bias, float* dst,
                       size_t len) {
  const ConvEpilogue& e = a.epi;
  for (size_t q = 0; q < len; q++) dst[q] = src[q] + bias;
  if (e.scale != nullptr) {
    double sc = e.scale[o], sh = e.shift[o];
    for (size_t q = 0; q < len; q++) dst[q] = float(dst[q] * sc + sh);
  }
  if (e.residual != nullptr) {
    const float* r = e.residual + (s * a.o + o) * a.oh * a.ow + at;
    for (size_t q = 0; q < len; q++) dst[q] += r[q];
  }
  if (e.relu)
    for (size_t q = 0; q < len; q++) dst[q] = dst[q] < 0.f ? 0.f : dst[q];
}

size_t conv_out_size(size_t in, size_t k, size_t s, size_t p, size_t d) {
  size_t span = d * (k - 1) + 1;
  if (in + 2 * p < span || s == 0) return 0;
  return (in + 2 * p - span) / s + 1;
}

void conv2d(const Conv2dArgs& args) {
  size_t p = args.oh * args.ow;
  if (p == 0 || args.o == 0) return;
  // Winograd forms a weight sum inside its filter transform; the other paths read stored weights
  if (winograd_applies(args) && conv2d_winograd(args)) return;  // else: not eligible, or a non-finite output
  Conv2dArgs a = args;
  if (a.weight_sum.m > 0) {
    thread_local AlignedBuffer summed;
    size_t len = a.o * (a.c / a.groups) * a.kh * a.kw;
    float* w = summed.get(len);
    combine(len, a.weight_sum.m, a.weight_sum.basis, 1, a.weight_sum.coeffs, &w);
    a.weight = w;
    a.weight_sum = WeightSum{};
  }
  if (p % NR == 0) {  // every sample at once, output planes written in place
    for (size_t g = 0; g < a.groups; g++) conv_group_batch(a, 0, a.n, g, true);
    return;
  }
  size_t og = a.o / a.groups;
  size_t nb = std::max<size_t>(1, (kTargetColumns + p - 1) / p);
  nb = std::min({nb, a.n, std::max<size_t>(1, kMaxOutFloats / std::max<size_t>(og * p, 1))});
  for (size_t s0 = 0; s0 < a.n; s0 += nb)
    for (size_t g = 0; g < a.groups; g++) conv_group_batch(a, s0, std::min(nb, a.n - s0), g, false);
}

}  // namespace ctl
