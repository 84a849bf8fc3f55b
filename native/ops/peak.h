// FMA throughput ceiling for benchmarks: the GFLOP/s a core (and the pool) can reach.
#pragma once
#include <cstddef>

namespace ctl {

// GFLOP/s of `iterations` rounds of 10 independent 8-wide FMA chains (160 flops a round) on one
// thread, and on all pool threads together. Falls back to scalar chains without AVX2/FMA.
void fma_peak(size_t iterations, double* single_thread, double* all_threads);

}  // namespace ctl
