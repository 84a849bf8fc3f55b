// Copies in parallel chunks; the transpose goes tile by tile.
#include "ops/layout.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "runtime/thread_pool.h"

namespace ctl {
namespace {
size_t rows_grain(size_t row_len) { return std::max<size_t>(1, 32768 / std::max<size_t>(row_len, 1)); }
}  // namespace

void embedding(size_t count, const int32_t* ids, size_t vocab, size_t dim, const float* table, float* y) {
  for (size_t i = 0; i < count; i++) {
    if (ids[i] < 0 || size_t(ids[i]) >= vocab)
      throw std::out_of_range("embedding: id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                              " is out of range [0, " + std::to_string(vocab) + ")");
  }
  parallel_for(count, rows_grain(dim), [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) std::memcpy(y + i * dim, table + size_t(ids[i]) * dim, dim * sizeof(float));
  });
}

void transpose12(size_t na, size_t nb, size_t nc, const float* x, float* y) {
  constexpr size_t T = 32;
  size_t tb = (nb + T - 1) / T, tc = (nc + T - 1) / T;
  parallel_for(na * tb * tc, 16, [&](size_t b, size_t e) {
    for (size_t task = b; task < e; task++) {
      size_t a = task / (tb * tc), r = task % (tb * tc);
      size_t b0 = (r / tc) * T, c0 = (r % tc) * T;
      size_t b1 = std::min(nb, b0 + T), c1 = std::min(nc, c0 + T);
      const float* xa = x + a * nb * nc;
      float* ya = y + a * nb * nc;
      for (size_t c = c0; c < c1; c++)
        for (size_t bb = b0; bb < b1; bb++) ya[c * nb + bb] = xa[bb * nc + c];
    }
  });
}

void prepend_token(size_t n, size_t t, size_t d, const float* x, const float* token, float* y) {
  parallel_for(n, rows_grain(t * d), [&](size_t b, size_t e) {
    for (size_t s = b; s < e; s++) {
      float* ys = y + s * (t + 1) * d;
      std::memcpy(ys, token, d * sizeof(float));
      std::memcpy(ys + d, x + s * t * d, t * d * sizeof(float));
    }
  });
}

void select_token(size_t n, size_t t, size_t d, size_t index, const float* x, float* y) {
  for (size_t s = 0; s < n; s++) std::memcpy(y + s * d, x + (s * t + index) * d, d * sizeof(float));
}

// y[r, off_i + c] = xs[i][r, c]: each output row is the inputs' rows side by side
void concat_last(size_t rows, size_t count, const float* const* xs, const size_t* widths, float* y) {
  size_t total = 0;
  for (size_t i = 0; i < count; i++) total += widths[i];
  parallel_for(rows, rows_grain(total), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; r++) {
      float* yr = y + r * total;
      for (size_t i = 0; i < count; i++) {
        std::memcpy(yr, xs[i] + r * widths[i], widths[i] * sizeof(float));
        yr += widths[i];
      }
    }
  });
}

}  // namespace ctl
