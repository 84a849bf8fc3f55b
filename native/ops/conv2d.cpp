// Convolution as GEMM per sample and group: W_g[og, cg·kh·kw] · col[cg·kh·kw, oh·ow].
#include "ops/conv2d.h"

#include <algorithm>
#include <cstring>

#include "ops/aligned_buffer.h"
#include "ops/gemm.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

thread_local AlignedBuffer col_buffer;

// col[(ci·kh + i)·kw + j, oy·ow + ox] = x[ci, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (0 outside)
void im2col(const Conv2dArgs& a, const float* x, size_t cg, float* col) {
  size_t p = a.oh * a.ow;
  for (size_t ci = 0; ci < cg; ci++) {
    const float* plane = x + ci * a.h * a.w;
    for (size_t i = 0; i < a.kh; i++) {
      for (size_t j = 0; j < a.kw; j++) {
        float* row = col + ((ci * a.kh + i) * a.kw + j) * p;
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
            for (size_t ox = 0; ox < a.ow; ox++) {
              long ix = long(ox * a.sw) + ix0;
              dst[ox] = (ix >= 0 && ix < long(a.w)) ? src[ix] : 0.f;
            }
          }
        }
      }
    }
  }
}

// One sample, all groups.
void conv_sample(const Conv2dArgs& a, size_t s) {
  size_t cg = a.c / a.groups, og = a.o / a.groups, k = cg * a.kh * a.kw, p = a.oh * a.ow;
  bool direct = a.kh == 1 && a.kw == 1 && a.sh == 1 && a.sw == 1 && a.ph == 0 && a.pw == 0;
  float* y = a.y + s * a.o * p;
  if (a.bias != nullptr)
    for (size_t oc = 0; oc < a.o; oc++) std::fill(y + oc * p, y + (oc + 1) * p, a.bias[oc]);
  for (size_t g = 0; g < a.groups; g++) {
    const float* x = a.x + (s * a.c + g * cg) * a.h * a.w;
    const float* col = x;
    if (!direct) {
      float* buf = col_buffer.get(k * p);
      im2col(a, x, cg, buf);
      col = buf;
    }
    gemm(GemmArgs{og, p, k, a.weight + g * og * k, k, col, p, false, y + g * og * p, p, a.bias != nullptr});
  }
}

}  // namespace

size_t conv_out_size(size_t in, size_t k, size_t s, size_t p, size_t d) {
  size_t span = d * (k - 1) + 1;
  if (in + 2 * p < span || s == 0) return 0;
  return (in + 2 * p - span) / s + 1;
}

void conv2d(const Conv2dArgs& a) {
  if (a.n >= num_threads()) {
    // one sample per task, each with a single-threaded GEMM
    parallel_for(a.n, 1, [&](size_t b, size_t e) {
      for (size_t s = b; s < e; s++) conv_sample(a, s);
    });
  } else {
    for (size_t s = 0; s < a.n; s++) conv_sample(a, s);
  }
}

}  // namespace ctl
