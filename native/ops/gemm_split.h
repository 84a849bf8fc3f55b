// Shared by the float32 GEMM driver (gemm.cpp) and the BF16 one (gemm_bf16.cpp): where C's elements
// live, the bias added to a C tile, and the split of the work into row blocks and column chunks.
#pragma once
#include <algorithm>
#include <cstddef>

#include "ops/gemm.h"

namespace ctl {

// Where C(i, j) lives (columns in groups when c_group is set).
inline float* c_at(const GemmArgs& g, size_t i, size_t j) {
  return g.c + i * g.ldc + (g.c_group ? (j / g.c_group) * g.c_group_stride + j % g.c_group : j);
}

// C[i:i+h, col:col+w] = bias[col:col+w], or += when accumulating (columns contiguous): the first
// depth slice's tiles get the bias just before their kernel runs, while they are in L1.
inline void bias_tile(const GemmArgs& g, size_t i, size_t h, size_t col, size_t w) {
  for (size_t r = 0; r < h; r++) {
    float* c = c_at(g, i + r, col);
    for (size_t j = 0; j < w; j++) c[j] = g.accumulate ? c[j] + g.bias[col + j] : g.bias[col + j];
  }
}

// Row blocks of whole register tiles of `tile` rows for m > 0 rows: about mc_max rows each, their
// count a multiple of the thread count when there is more than one (15 blocks on 2 threads would idle
// one 1/16 of the time), the tiles shared as evenly as whole tiles allow (1024 rows in tiles of 12 over
// 8 blocks: 11 or 10 tiles each, not 7 × 11 + 9), so the threads finish together.
struct RowBlocks {
  size_t m, tile, tiles, count;
  size_t max_rows;  // the largest block (packed-A buffers)
  size_t row(size_t b) const { return std::min(m, b * tiles / count * tile); }  // block b's first row
};
inline RowBlocks row_blocks(size_t m, size_t tile, size_t mc_max, size_t threads) {
  size_t n = (m + mc_max - 1) / mc_max;
  if (n > 1 && threads > 1) n = (n + threads - 1) / threads * threads;
  size_t step = ((m + n - 1) / n + tile - 1) / tile * tile, tiles = (m + tile - 1) / tile;
  n = std::min((m + step - 1) / step, tiles);
  return {m, tile, tiles, n, (tiles + n - 1) / n * tile};
}

// Column chunks of `panels` B panels for `blocks` row blocks: about 2 tasks per thread in all, each
// chunk a whole number of `unit` panels (the wide tile's). Returns the panels per chunk; *count the chunks.
inline size_t column_chunks(size_t panels, size_t blocks, size_t threads, size_t unit, size_t* count) {
  size_t chunks = threads == 1 ? 1 : std::min(panels, std::max<size_t>(1, (2 * threads + blocks - 1) / blocks));
  size_t per = ((panels + chunks - 1) / chunks + unit - 1) / unit * unit;
  *count = (panels + per - 1) / per;
  return per;
}

}  // namespace ctl
