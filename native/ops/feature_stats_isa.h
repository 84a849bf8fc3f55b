// The featureProducts / featureStats chunk kernels of the wider ISAs, each in its own translation
// unit compiled with that ISA's flags (feature_stats_<isa>.cpp); feature_stats.cpp calls them after checking the CPU.
#pragma once
#include <cstddef>

namespace ctl {

// sums[j] += Σ_{i∈[b,e)} f[i]·basis_j[i] for j < m, sums[m] += Σ f[i]² (float64)
using ProductsFn = void (*)(size_t b, size_t e, const float* f, const float* const* basis, double* sums);
// The AVX-512 products kernel for m basis tensors, or null (m > 8).
ProductsFn products_avx512_for(size_t m);
// out = {Σ f·g, Σ f², Σ g²} over [b, e) with g = Σ_j c_j basis_j (float64)
void stats_avx512(size_t b, size_t e, const float* f, size_t m, const float* const* basis, const double* c, double* out);

}  // namespace ctl
