// Elementwise ops in parallel chunks.
#include "ops/elementwise.h"

#include <cmath>

#include "runtime/thread_pool.h"

namespace ctl {
namespace {
constexpr size_t kGrain = 1 << 15;
}

void relu(size_t n, const float* x, float* y) {
  parallel_for(n, kGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) y[i] = x[i] < 0.f ? 0.f : x[i];
  });
}

void gelu(size_t n, const float* x, bool tanh_approx, float* y) {
  parallel_for(n, kGrain / 8, [&](size_t b, size_t e) {
    if (tanh_approx) {
      const float k = 0.7978845608028654f;  // √(2/π)
      for (size_t i = b; i < e; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.f + std::tanh(k * (v + 0.044715f * v * v * v)));
      }
    } else {
      for (size_t i = b; i < e; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.f + std::erf(v * 0.7071067811865476f));
      }
    }
  });
}

void add_suffix(size_t na, const float* a, size_t nb, const float* b, float* y) {
  if (nb == 0) return;
  parallel_for(na / nb, std::max<size_t>(1, kGrain / nb), [&](size_t rb, size_t re) {
    for (size_t r = rb; r < re; r++) {
      const float* ar = a + r * nb;
      float* yr = y + r * nb;
      for (size_t i = 0; i < nb; i++) yr[i] = ar[i] + b[i];
    }
  });
}

}  // namespace ctl
