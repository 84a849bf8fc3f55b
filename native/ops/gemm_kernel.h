// The GEMM micro-kernels and their packed-panel layout, for drivers that pack their own operands.
#pragma once
#include <cstddef>

namespace ctl {

// Panel geometry, the same on every ISA: A panels of MR rows, B panels of NR columns. Wider register
// tiles (AVX-512) cover several adjacent panels of each.
constexpr size_t MR = 6, NR = 16;

// C[MR, NR] (+)= Σ_p ap[p, 0:MR]ᵀ · bp[p, 0:NR]: ap is an A panel packed [kc][MR], bp a B panel
// packed [kc][NR] (64-byte aligned); C rows ldc apart; acc adds to C instead of overwriting it.
using MicroKernel = void (*)(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, bool acc);

// C[a_panels·MR, b_panels·NR] (+)= Σ_p A·B over a_panels A panels `as` floats apart and b_panels
// B panels `bs` floats apart (C columns contiguous).
using WideKernel = void (*)(size_t kc, const float* ap, size_t as, const float* bp, size_t bs, float* c, size_t ldc,
                            bool acc);

// C_j[MR, NR] (+)= Σ_p ap[p, 0:MR]ᵀ · B_j[p, 0:NR] for B panels j < n (bs floats apart), C_j at
// c + j·cs with rows ldc apart: one A panel against a strip of B panels (Winograd's products).
using StripKernel = void (*)(size_t kc, const float* ap, const float* bp, size_t bs, float* c, size_t cs, size_t ldc,
                             bool acc);

// One ISA's kernels and the cache blocking tuned with them (gemm.cpp says why each value).
struct GemmKernels {
  const char* isa;  // the level these kernels need
  MicroKernel micro;          // MR×NR
  WideKernel wide = nullptr;  // (a_panels·MR)×(b_panels·NR), when the ISA has one
  size_t a_panels = 1, b_panels = 1;
  size_t mc_max, kc, nc;  // A block rows, depth slice, B block columns
  StripKernel strip4 = nullptr, strip2 = nullptr;  // 4 and 2 B panels at once, when the ISA has them
};

// C_j (+)= A·B_j for B panels j < n as StripKernel describes, with the widest strips the ISA has and
// the micro-kernel for the rest.
void gemm_strip(const GemmKernels& kn, size_t n, size_t kc, const float* ap, const float* bp, size_t bs, float* c,
                size_t cs, size_t ldc, bool acc);

// The kernels of the active ISA (runtime/cpu.h).
const GemmKernels& gemm_kernels();
// gemm_kernels().micro.
MicroKernel micro_kernel();

}  // namespace ctl
