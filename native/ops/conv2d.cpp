// Convolution as GEMM per group over a batch of samples: W_g[og, cg·kh·kw] · col[cg·kh·kw, samples·oh·ow].
#include "ops/conv2d.h"

#include <algorithm>
#include <cstring>

#include "ops/aligned_buffer.h"
#include "ops/gemm.h"
#include "ops/winograd.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

thread_local AlignedBuffer col_buffer, out_buffer;

// Output columns per GEMM: samples are batched until about this many (late layers have few pixels),
constexpr size_t kTargetColumns = 4096;
// as long as the column buffer stays under this many floats (16 MiB).
constexpr size_t kMaxColumnFloats = size_t(4) << 20;

// col[(ci·kh + i)·kw + j, oy·ow + ox] = x[ci, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (0 outside); rows ld apart
void im2col(const Conv2dArgs& a, const float* x, size_t cg, float* col, size_t ld) {
  for (size_t ci = 0; ci < cg; ci++) {
    const float* plane = x + ci * a.h * a.w;
    for (size_t i = 0; i < a.kh; i++) {
      for (size_t j = 0; j < a.kw; j++) {
        float* row = col + ((ci * a.kh + i) * a.kw + j) * ld;
        for (size_t oy = 0; oy < a.oh; oy++) {
          float* dst = row + oy * a.ow;
          long iy = long(oy * a.sh) - long(a.ph) + long(i * a.dh);
          if (iy < 0 || iy >= long(a.h)) {
            std::fill(dst, dst + a.ow, 0.f);
            continue;
          }
          const float* src = plane + size_t(iy) * a.w;
          long ix0 = long(j * a.dw) - long(a.pw);
          if (a.sw == 1) {
            // contiguous run: zeros, then a copy, then zeros
            long lo = std::clamp<long>(-ix0, 0, long(a.ow)), hi = std::clamp<long>(long(a.w) - ix0, lo, long(a.ow));
            std::fill(dst, dst + lo, 0.f);
            std::memcpy(dst + lo, src + ix0 + lo, size_t(hi - lo) * sizeof(float));
            std::fill(dst + hi, dst + a.ow, 0.f);
          } else {
            // ox in [lo, hi) reads inside the row: zeros, a strided run, zeros
            long sw = long(a.sw), lo = std::clamp<long>((-ix0 + sw - 1) / sw, 0, long(a.ow));
            long hi = std::clamp<long>((long(a.w) - ix0 + sw - 1) / sw, lo, long(a.ow));
            std::fill(dst, dst + lo, 0.f);
            const float* s0 = src + ix0;
            for (long ox = lo; ox < hi; ox++) dst[ox] = s0[ox * sw];
            std::fill(dst + hi, dst + a.ow, 0.f);
          }
        }
      }
    }
  }
}

// Samples [s0, s0 + cnt), group g: col[K, cnt·P] from im2col, out[og, cnt·P] = W_g · col, then out
// scattered into y (NCHW) with the bias. One sample of a 1×1/stride-1 conv reads x and writes y directly.
void conv_group_batch(const Conv2dArgs& a, size_t s0, size_t cnt, size_t g) {
  size_t cg = a.c / a.groups, og = a.o / a.groups, k = cg * a.kh * a.kw, p = a.oh * a.ow, cols = cnt * p;
  bool direct = cnt == 1 && a.kh == 1 && a.kw == 1 && a.sh == 1 && a.sw == 1 && a.ph == 0 && a.pw == 0;
  const float* wg = a.weight + g * og * k;
  const float* col = a.x + (s0 * a.c + g * cg) * a.h * a.w;
  if (!direct) {
    float* buf = col_buffer.get(k * cols);
    parallel_for(cnt, 1, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; i++) im2col(a, a.x + ((s0 + i) * a.c + g * cg) * a.h * a.w, cg, buf + i * p, cols);
    });
    col = buf;
  }
  if (cnt == 1) {
    float* y = a.y + (s0 * a.o + g * og) * p;
    if (a.bias != nullptr)
      for (size_t oc = 0; oc < og; oc++) std::fill(y + oc * p, y + (oc + 1) * p, a.bias[g * og + oc]);
    gemm(GemmArgs{og, p, k, wg, k, col, cols, false, y, p, a.bias != nullptr});
    if (a.epi.any())
      parallel_for(og, 1, [&](size_t b, size_t e) {
        for (size_t oc = b; oc < e; oc++) conv_epilogue_run(a, s0, g * og + oc, 0, y + oc * p, 0.f, y + oc * p, p);
      });
    return;
  }
  float* out = out_buffer.get(og * cols);
  gemm(GemmArgs{og, cols, k, wg, k, col, cols, false, out, cols, false});
  parallel_for(cnt * og, 16, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; t++) {
      size_t i = t / og, oc = t % og;
      const float* src = out + oc * cols + i * p;
      float* dst = a.y + ((s0 + i) * a.o + g * og + oc) * p;
      float bias = a.bias != nullptr ? a.bias[g * og + oc] : 0.f;
      conv_epilogue_run(a, s0 + i, g * og + oc, 0, src, bias, dst, p);
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

void conv2d(const Conv2dArgs& a) {
  size_t k = (a.c / a.groups) * a.kh * a.kw, p = a.oh * a.ow;
  if (p == 0 || a.o == 0) return;
  if (winograd_applies(a) && conv2d_winograd(a)) return;  // else: not eligible, or a non-finite output
  size_t nb = std::max<size_t>(1, (kTargetColumns + p - 1) / p);
  nb = std::min({nb, a.n, std::max<size_t>(1, kMaxColumnFloats / std::max<size_t>(k * p, 1))});
  for (size_t s0 = 0; s0 < a.n; s0 += nb)
    for (size_t g = 0; g < a.groups; g++) conv_group_batch(a, s0, std::min(nb, a.n - s0), g);
}

}  // namespace ctl
