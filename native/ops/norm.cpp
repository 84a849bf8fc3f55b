// Row-wise layer norm and per-channel affine batch norm, parallel over rows / planes.
#include "ops/norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/norm_isa.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {

void layer_norm(size_t rows, size_t cols, const float* x, const float* weight, const float* bias, double eps, float* y) {
  [[maybe_unused]] bool wide = use_avx512();
  parallel_for(rows, std::max<size_t>(1, 8192 / std::max<size_t>(cols, 1)), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
#if defined(__x86_64__) || defined(__i386__)
      if (wide) {
        layer_norm_row_avx512(cols, xr, weight, bias, eps, yr);
        continue;
      }
#endif
      double s = 0.0;
      for (size_t i = 0; i < cols; i++) s += xr[i];
      double mean = s / double(cols);
      double v = 0.0;
      for (size_t i = 0; i < cols; i++) {
        double d = xr[i] - mean;
        v += d * d;
      }
      double inv = 1.0 / std::sqrt(v / double(cols) + eps);
      for (size_t i = 0; i < cols; i++) yr[i] = float((xr[i] - mean) * inv * weight[i] + bias[i]);
    }
  });
}

void batch_norm_affine(size_t c, const float* mean, const float* var, const float* weight, const float* bias,
                       double eps, double* scale, double* shift) {
  for (size_t ch = 0; ch < c; ch++) {
    scale[ch] = double(weight[ch]) / std::sqrt(double(var[ch]) + eps);
    shift[ch] = double(bias[ch]) - double(mean[ch]) * scale[ch];
  }
}

void batch_norm(size_t n, size_t c, size_t inner, const float* x, const float* mean, const float* var,
                const float* weight, const float* bias, double eps, float* y) {
  std::vector<double> scale(c), shift(c);
  batch_norm_affine(c, mean, var, weight, bias, eps, scale.data(), shift.data());
  parallel_for(n * c, std::max<size_t>(1, 16384 / std::max<size_t>(inner, 1)), [&](size_t b, size_t e) {
    for (size_t pl = b; pl < e; pl++) {
      size_t ch = pl % c;
      double sc = scale[ch], sh = shift[ch];
      const float* xp = x + pl * inner;
      float* yp = y + pl * inner;
      for (size_t i = 0; i < inner; i++) yp[i] = float(xp[i] * sc + sh);
    }
  });
}

// y = x / ‖x‖₂ per row: Σx² in float64, then one multiply by the reciprocal norm in float64
void l2_normalize(size_t rows, size_t cols, const float* x, float* y) {
  parallel_for(rows, std::max<size_t>(1, 8192 / std::max<size_t>(cols, 1)), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double s = 0.0;
      for (size_t i = 0; i < cols; i++) s += double(xr[i]) * double(xr[i]);
      double norm = std::sqrt(s);
      for (size_t i = 0; i < cols; i++) yr[i] = float(double(xr[i]) / norm);
    }
  });
}

}  // namespace ctl
