// The GEMM micro-kernel and its packed-panel layout, for drivers that pack their own operands.
#pragma once
#include <cstddef>

namespace ctl {

// Register tile: MR rows of A by NR columns of B.
constexpr size_t MR = 6, NR = 16;

// C[MR, NR] (+)= Σ_p ap[p, 0:MR]ᵀ · bp[p, 0:NR]: ap is an A panel packed [kc][MR], bp a B panel
// packed [kc][NR] (32-byte aligned); C rows ldc apart; acc adds to C instead of overwriting it.
using MicroKernel = void (*)(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, bool acc);

// The AVX2/FMA kernel when the CPU has it and SIMD is enabled, else the portable one.
MicroKernel micro_kernel();

}  // namespace ctl
