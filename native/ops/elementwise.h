// Elementwise activations and the residual add.
#pragma once
#include <cstddef>

namespace ctl {

// y = max(x, 0); NaN stays NaN
void relu(size_t n, const float* x, float* y);
// y = x·Φ(x) = ½x(1 + erf(x/√2)), or with tanh: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
void gelu(size_t n, const float* x, bool tanh_approx, float* y);
// y = x·σ(1.702x) (QuickGELU); NaN stays NaN, −∞ gives NaN
void quick_gelu(size_t n, const float* x, float* y);
// y[i] = a[i] + b[i mod nb]  (b's shape is a suffix of a's)
void add_suffix(size_t na, const float* a, size_t nb, const float* b, float* y);

}  // namespace ctl
