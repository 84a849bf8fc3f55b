// Machine ceilings the bench reports its figures against: FMA peak and memory copy bandwidth.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "runtime/cpu.h"

namespace ctl {

struct FmaPeakResult {
  double seconds;  // wall time from the first thread's start to the last thread's end
  double flops;    // floating-point operations done (an FMA counts as 2)
  std::string isa;  // "avx512", "avx2" or "generic" (scalar)
};

// Each of `threads` threads runs `iterations` rounds of 12 independent FMA chains
// (acc_i = acc_i · m + a) of `isa`'s width (16 float lanes on AVX-512, 8 on AVX2, 1 scalar): 2·12·lanes
// flops per round. Throws when the CPU lacks `isa`.
FmaPeakResult fma_peak(size_t threads, size_t iterations, Isa isa);

// Copies a `bytes`-byte buffer into another `repeats` times, split over `threads` threads;
// returns the seconds of each copy (the bandwidth counts read + write: 2·bytes per copy).
std::vector<double> copy_bandwidth(size_t bytes, size_t threads, size_t repeats);

}  // namespace ctl
