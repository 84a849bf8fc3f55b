// General matrix multiply on row-major float32 matrices.
#pragma once
#include <cstddef>

namespace ctl {

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
};

// C = A·B (or C += A·B): packed, cache-blocked, AVX2/FMA 6×16 micro-kernel when the CPU has it,
// portable kernel otherwise; spread over the thread pool (inline when called from a pool task).
void gemm(const GemmArgs& g);

}  // namespace ctl
