// The activation kernels of the wider ISAs (elementwise_avx512.cpp, compiled with the AVX-512 flags)
// and the scalar formulas they fall back to on blocks holding a non-finite value (elementwise.cpp).
#pragma once
#include <cstddef>

namespace ctl {

// ½x(1 + erf(x/√2)), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))), one element (portable)
float gelu_scalar(float v, bool tanh_approx);
// x / (1 + e^(−1.702x)), one element (portable); −∞ gives NaN as in torch
float quick_gelu_scalar(float v);

// gelu over [b, e) on 16 lanes: the AVX2 kernel's formulas lane for lane
void gelu_avx512(size_t b, size_t e, const float* x, bool tanh_approx, float* y);
// quick_gelu over [b, e) on 16 lanes
void quick_gelu_avx512(size_t b, size_t e, const float* x, float* y);

}  // namespace ctl
