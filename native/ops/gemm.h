// General matrix multiply on row-major float32 matrices.
#pragma once
#include <cstddef>

namespace ctl {

// Packs B panels itself instead of reading a stored B (implicit GEMM, e.g. convolution columns
// read straight from the image).
class BPanelSource {
 public:
  virtual ~BPanelSource() = default;
  // dst[p·NR + j] = B(pc + p, col + j) for p < kc, j < NR (NR from gemm_kernel.h); zero for
  // columns ≥ n. Called concurrently for different panels.
  virtual void pack(size_t pc, size_t kc, size_t col, float* dst) const = 0;
};

struct GemmArgs {
  size_t m, n, k;
  const float* a;  // [m, k], row stride lda
  size_t lda;
  const float* b;  // [k, n] with row stride ldb, or [n, k] when trans_b
  size_t ldb;
  bool trans_b;
  float* c;  // [m, n], row stride ldc
  size_t ldc;
  bool accumulate;  // C += A·B instead of C = A·B
  const BPanelSource* b_source = nullptr;  // when set, B comes from it (b, ldb, trans_b unused)
  // When nonzero: C's columns come in groups of c_group (a multiple of NR), group q starting at
  // c + q·c_group_stride (e.g. one NCHW output plane per sample); rows stay ldc apart.
  size_t c_group = 0, c_group_stride = 0;
  // When set: C(i, j) (+)= bias[j] + Σ_p A(i, p)·B(p, j), the bias added to each C tile of the first
  // depth slice just before its kernel runs (the tile is in L1 then: no separate pass over C)
  const float* bias = nullptr;
};

// C = A·B (or C += A·B): packed, cache-blocked, with the active ISA's micro-kernels (AVX-512 12×32,
// AVX2/FMA 6×16, or portable: gemm_kernel.h); spread over the thread pool (inline when called from a pool task).
void gemm(const GemmArgs& g);

}  // namespace ctl
