// 2-D pooling over NCHW planes, PyTorch semantics (floor mode).
#pragma once
#include <cstddef>

namespace ctl {

struct Pool2dArgs {
  size_t planes, h, w;  // input [planes = n·c, h, w]
  size_t kh, kw, sh, sw, ph, pw;
  size_t oh, ow;
  const float* x;
  float* y;
};

// Output size of one dim: ⌊(in + 2p − k) / s⌋ + 1, or 0 when the window does not fit.
size_t pool_out_size(size_t in, size_t k, size_t s, size_t p);

// y = max over the window (padding is −∞; NaN wins, like torch)
void max_pool2d(const Pool2dArgs& a);
// y = Σ window / (kh·kw)  (count_include_pad)
void avg_pool2d(const Pool2dArgs& a);
// y[i,j] = mean of x over rows [⌊i·h/oh⌋, ⌈(i+1)·h/oh⌉) × cols [⌊j·w/ow⌋, ⌈(j+1)·w/ow⌉)
void adaptive_avg_pool2d(size_t planes, size_t h, size_t w, size_t oh, size_t ow, const float* x, float* y);

}  // namespace ctl
