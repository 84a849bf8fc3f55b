// 2-D convolution, NCHW, PyTorch semantics (zero padding, stride, dilation, groups).
#pragma once
#include <cstddef>

namespace ctl {

// Fused after the conv, per output value v (bias included), in this order: v·scale[o] + shift[o]
// in double (eval BatchNorm, as batch_norm computes it), + residual[same index], max(v, 0).
struct ConvEpilogue {
  const double* scale = nullptr;  // [o] with shift, or both null (no BatchNorm)
  const double* shift = nullptr;
  const float* residual = nullptr;  // [n, o, oh, ow] or null
  bool relu = false;
  bool any() const { return scale != nullptr || residual != nullptr || relu; }
};

// Weights given as a combination W = Σ_j coeffs[j] · basis[j] (each [o, c / groups, kh, kw]), formed
// while they are read: the same float64 sum, rounded once, as ops/combine.h, so the conv equals the
// conv of combine's output bit for bit, without writing W out and reading it back.
struct WeightSum {
  const float* const* basis = nullptr;
  const double* coeffs = nullptr;
  size_t m = 0;  // 0: the weights are Conv2dArgs::weight
};

struct Conv2dArgs {
  size_t n, c, h, w;       // input [n, c, h, w]
  size_t o, kh, kw;        // weight [o, c / groups, kh, kw]
  size_t sh, sw, ph, pw, dh, dw, groups;
  size_t oh, ow;           // output [n, o, oh, ow]
  const float* x;
  const float* weight;     // null when weight_sum.m > 0
  WeightSum weight_sum;
  const float* bias;       // [o] or nullptr
  float* y;
  ConvEpilogue epi;
};

// dst[q] = epilogue(src[q] + bias) for q < len: one output plane (sample s, channel o) or a run of it
// starting at plane offset `at`. src may equal dst.
void conv_epilogue_run(const Conv2dArgs& a, size_t s, size_t o, size_t at, const float* src, float bias, float* dst,
                       size_t len);

// Output size of one spatial dim: ⌊(in + 2p − d(k − 1) − 1) / s⌋ + 1, or 0 when the kernel does not fit.
size_t conv_out_size(size_t in, size_t k, size_t s, size_t p, size_t d);

// y[n,o] = Σ_{c,i,j} w[o,c,i,j] · x[n, c, oy·s − p + i·d, ox·s − p + j·d] + b[o]  (Winograd F(4×4,3×3) for 3×3/1 kernels with
// ≥ 16 channels, else an implicit GEMM whose columns are packed straight from x). A weight sum is formed
// inside the Winograd filter transform, or into a scratch buffer before the implicit GEMM.
void conv2d(const Conv2dArgs& a);

}  // namespace ctl
