// Machine ceilings the bench reports its figures against: FMA peak and memory copy bandwidth.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace ctl {

struct FmaPeakResult {
  double seconds;  // wall time from the first thread's start to the last thread's end
  double flops;    // floating-point operations done (an FMA counts as 2)
  std::string isa;  // "avx2-fma" or "scalar"
};

// Each of `threads` threads runs `iterations` rounds of 12 independent FMA chains
// (acc_i = acc_i · m + a), 8 float lanes each on AVX2/FMA: 192 flops per round.
FmaPeakResult fma_peak(size_t threads, size_t iterations);

// Copies a `bytes`-byte buffer into another `repeats` times, split over `threads` threads;
// returns the seconds of each copy (the bandwidth counts read + write: 2·bytes per copy).
std::vector<double> copy_bandwidth(size_t bytes, size_t threads, size_t repeats);

}  // namespace ctl
