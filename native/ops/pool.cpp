// Pooling: one plane per task chunk; windows clipped to the input.
#include "ops/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/thread_pool.h"

namespace ctl {
namespace {

size_t plane_grain(size_t plane_work) { return std::max<size_t>(1, 16384 / std::max<size_t>(plane_work, 1)); }

// Calls f(plane, oy, ox, y0, y1, x0, x1) with the window clipped to the input.
template <class F>
void for_windows(const Pool2dArgs& a, F f) {
  parallel_for(a.planes, plane_grain(a.oh * a.ow * a.kh * a.kw), [&](size_t b, size_t e) {
    for (size_t pl = b; pl < e; pl++) {
      for (size_t oy = 0; oy < a.oh; oy++) {
        long ys = long(oy * a.sh) - long(a.ph);
        long y0 = std::max<long>(ys, 0), y1 = std::min<long>(ys + long(a.kh), long(a.h));
        for (size_t ox = 0; ox < a.ow; ox++) {
          long xs = long(ox * a.sw) - long(a.pw);
          long x0 = std::max<long>(xs, 0), x1 = std::min<long>(xs + long(a.kw), long(a.w));
          f(pl, oy, ox, y0, y1, x0, x1);
        }
      }
    }
  });
}

}  // namespace

size_t pool_out_size(size_t in, size_t k, size_t s, size_t p) {
  if (in + 2 * p < k || s == 0) return 0;
  return (in + 2 * p - k) / s + 1;
}

void max_pool2d(const Pool2dArgs& a) {
  for_windows(a, [&](size_t pl, size_t oy, size_t ox, long y0, long y1, long x0, long x1) {
    const float* x = a.x + pl * a.h * a.w;
    float m = -std::numeric_limits<float>::infinity();
    for (long yy = y0; yy < y1; yy++)
      for (long xx = x0; xx < x1; xx++) {
        float v = x[yy * long(a.w) + xx];
        if (v > m || std::isnan(v)) m = v;
        if (std::isnan(m)) goto done;
      }
  done:
    a.y[(pl * a.oh + oy) * a.ow + ox] = m;
  });
}

void avg_pool2d(const Pool2dArgs& a) {
  float inv = 1.f / float(a.kh * a.kw);
  for_windows(a, [&](size_t pl, size_t oy, size_t ox, long y0, long y1, long x0, long x1) {
    const float* x = a.x + pl * a.h * a.w;
    float s = 0.f;
    for (long yy = y0; yy < y1; yy++)
      for (long xx = x0; xx < x1; xx++) s += x[yy * long(a.w) + xx];
    a.y[(pl * a.oh + oy) * a.ow + ox] = s * inv;
  });
}

void adaptive_avg_pool2d(size_t planes, size_t h, size_t w, size_t oh, size_t ow, const float* x, float* y) {
  parallel_for(planes, plane_grain(h * w), [&](size_t b, size_t e) {
    for (size_t pl = b; pl < e; pl++) {
      const float* xp = x + pl * h * w;
      for (size_t i = 0; i < oh; i++) {
        size_t y0 = i * h / oh, y1 = ((i + 1) * h + oh - 1) / oh;
        for (size_t j = 0; j < ow; j++) {
          size_t x0 = j * w / ow, x1 = ((j + 1) * w + ow - 1) / ow;
          float s = 0.f;
          for (size_t yy = y0; yy < y1; yy++)
            for (size_t xx = x0; xx < x1; xx++) s += xp[yy * w + xx];
          y[(pl * oh + i) * ow + j] = s / float((y1 - y0) * (x1 - x0));
        }
      }
    }
  });
}

}  // namespace ctl
