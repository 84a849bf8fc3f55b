// 2-D convolution, NCHW, PyTorch semantics (zero padding, stride, dilation, groups).
#pragma once
#include <cstddef>

namespace ctl {

struct Conv2dArgs {
  size_t n, c, h, w;       // input [n, c, h, w]
  size_t o, kh, kw;        // weight [o, c / groups, kh, kw]
  size_t sh, sw, ph, pw, dh, dw, groups;
  size_t oh, ow;           // output [n, o, oh, ow]
  const float* x;
  const float* weight;
  const float* bias;       // [o] or nullptr
  float* y;
};

// Output size of one spatial dim: ⌊(in + 2p − d(k − 1) − 1) / s⌋ + 1, or 0 when the kernel does not fit.
size_t conv_out_size(size_t in, size_t k, size_t s, size_t p, size_t d);

// y[n,o] = Σ_{c,i,j} w[o,c,i,j] · x[n, c, oy·s − p + i·d, ox·s − p + j·d] + b[o]  (im2col + GEMM; 1×1 reads x directly)
void conv2d(const Conv2dArgs& a);

}  // namespace ctl
