// Run-time CPU feature detection; kernels pick their SIMD path from here.
#pragma once

namespace ctl {

// True when the CPU has AVX2 and FMA and SIMD kernels are enabled (see set_simd_enabled).
bool use_avx2_fma();
// Whether the CPU itself has AVX2 and FMA.
bool cpu_has_avx2_fma();
// Turns the SIMD kernels off (tests compare them with the portable fallback) or back on.
void set_simd_enabled(bool enabled);

}  // namespace ctl
