// The GEMM micro-kernels by ISA: the portable one here, AVX2/FMA and AVX-512 in their own files
// (gemm_kernel_<isa>.cpp, each compiled with its target flags); gemm_kernels() picks one set.
#include "ops/gemm_kernel.h"

#include "ops/gemm_kernel_isa.h"
#include "runtime/cpu.h"
#include <cstdlib>

namespace ctl {
namespace {

// C[6,16] (+)= Σ_k ap[k,0:6]ᵀ · bp[k,0:16]  (portable; the compiler vectorises the inner loop)
void kernel_generic(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, bool acc) {
  float t[MR][NR] = {};
  for (size_t p = 0; p < kc; p++) {
    for (size_t i = 0; i < MR; i++) {
      float a = ap[p * MR + i];
      for (size_t j = 0; j < NR; j++) t[i][j] += a * bp[p * NR + j];
    }
  }
  for (size_t i = 0; i < MR; i++)
    for (size_t j = 0; j < NR; j++) c[i * ldc + j] = acc ? c[i * ldc + j] + t[i][j] : t[i][j];
}

// Blocking, per ISA, measured where noted:
// generic (6×16 tile): an A block MC×KC (≤ 288 KiB) stays in L2, a B micro-panel KC×NR (32 KiB)
// streams through L1, packed B KC×NC (6 MiB) in L3.
// AVX2 and AVX-512: KC 1024, so a depth up to 1024 is one slice (C stored once, never reloaded); the
// A block (≤ 576 KiB) still fits a 1 MiB L2 (Zen 4; 2 MiB on Sapphire Rapids) and the B micro-panels
// (64 / 128 KiB) stream from L2. Measured on the idle AMD EPYC (Zen 4), 2 threads, KC 512 → 1024 in
// one process, alternating: AVX-512 1024³ 200 → 208 GFLOP/s, 2048³ 207 → 214, GPT-2 qkv (K 768)
// 184 → 201, MLP proj (K 3072) 190 → 203, ViT MLP fc (K 192) 192 → 191; AVX2 1024³ 187 → 204.
// (Before: KC 512 measured 5–9% faster than 256 at 1024³, AMD EPYC, AVX2.)
const GemmKernels kGeneric{"generic", kernel_generic, nullptr, 1, 1, 144, 512, 3072};
#if defined(__x86_64__) || defined(__i386__)
const GemmKernels kAvx2{"avx2", gemm_micro_avx2, nullptr, 1, 1, 144, 1024, 3072};
// AVX-512 (12×32 tile over 2 A and 2 B panels): the same blocking. Measured earlier on the Intel Xeon (Sapphire
// Rapids class, L2 2 MiB/core), 1 thread, 1024³, as % of an FMA peak loop run alternately with it:
// 12×32 at MC/KC 144/512 73%, 144/256 55–67%, 288/256 64%, 96/256 ~same; 6×64 at 144/256 69%,
// 6×48 66%, 18×16 ~60% (a noisy shared machine: ±5%). KC 256 would keep the 12×32 tile's B pair
// (KC·32 floats) in L1 (48 KiB) but measured no faster: the L1 prefetch in the kernel covers it.
const GemmKernels kAvx512{"avx512", gemm_micro_avx512, gemm_wide_avx512, GEMM_AVX512_A_PANELS, GEMM_AVX512_B_PANELS,
                          144, 1024, 3072, gemm_strip4_avx512, gemm_strip2_avx512};

#endif

}  // namespace

const GemmKernels& gemm_kernels() {
#if defined(__x86_64__) || defined(__i386__)
  switch (active_isa()) {
    case Isa::avx512: return kAvx512;
    case Isa::avx2: return kAvx2;
    default: break;
  }
#endif
  return kGeneric;
}

MicroKernel micro_kernel() { return gemm_kernels().micro; }

void gemm_strip(const GemmKernels& kn, size_t n, size_t kc, const float* ap, const float* bp, size_t bs, float* c,
                size_t cs, size_t ldc, bool acc) {
  size_t j = 0;
  if (kn.strip4)
    for (; j + 4 <= n; j += 4) kn.strip4(kc, ap, bp + j * bs, bs, c + j * cs, cs, ldc, acc);
  if (kn.strip2)
    for (; j + 2 <= n; j += 2) kn.strip2(kc, ap, bp + j * bs, bs, c + j * cs, cs, ldc, acc);
  for (; j < n; j++) kn.micro(kc, ap, bp + j * bs, c + j * cs, ldc, acc);
}

}  // namespace ctl
