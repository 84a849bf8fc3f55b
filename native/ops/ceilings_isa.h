// The FMA peak loops of the wider ISAs, each in its own translation unit compiled with that ISA's
// flags (ceilings_<isa>.cpp); ceilings.cpp calls them after checking the CPU.
#pragma once
#include <cstddef>

namespace ctl {

// acc_i = acc_i · m + a on 12 independent chains of 8 (AVX2) or 16 (AVX-512) float lanes; returns
// the sum of the chains (consumed so the loop stays).
float fma_loop_avx2(size_t iterations);
float fma_loop_avx512(size_t iterations);

}  // namespace ctl
