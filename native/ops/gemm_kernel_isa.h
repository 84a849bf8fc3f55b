// The per-ISA GEMM micro-kernels, each defined in its own translation unit compiled with that ISA's
// target flags (gemm_kernel_<isa>.cpp); only gemm_kernel.cpp calls them, after checking the CPU.
#pragma once
#include <cstddef>

namespace ctl {

void gemm_micro_avx2(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, bool acc);
void gemm_micro_avx512(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, bool acc);
void gemm_wide_avx512(size_t kc, const float* ap, size_t as, const float* bp, size_t bs, float* c, size_t ldc, bool acc);
void gemm_strip4_avx512(size_t kc, const float* ap, const float* bp, size_t bs, float* c, size_t cs, size_t ldc, bool acc);
void gemm_strip2_avx512(size_t kc, const float* ap, const float* bp, size_t bs, float* c, size_t cs, size_t ldc, bool acc);
// The wide tile gemm_wide_avx512 computes: (GEMM_AVX512_A_PANELS·MR) × (GEMM_AVX512_B_PANELS·NR).
constexpr size_t GEMM_AVX512_A_PANELS = 2, GEMM_AVX512_B_PANELS = 2;

}  // namespace ctl
