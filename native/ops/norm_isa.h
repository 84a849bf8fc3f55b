// The LayerNorm row kernel of the wider ISAs (norm_avx512.cpp, compiled with the AVX-512 flags).
#pragma once
#include <cstddef>

namespace ctl {

// y = float((x − μ)·inv·w + b) over one row of `cols`, μ = Σx/cols, inv = 1/√(Σ(x − μ)²/cols + eps),
// the sums in float64 on 8 lanes (masked tails), the output as layer_norm's scalar loop rounds it
void layer_norm_row_avx512(size_t cols, const float* x, const float* w, const float* b, double eps, float* y);

}  // namespace ctl
