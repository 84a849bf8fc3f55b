// Normalisation layers (inference).
#pragma once
#include <cstddef>

namespace ctl {

// y = (x − μ) / sqrt(σ² + eps) · weight + bias over each row of `cols` (μ, σ² in float64, biased)
void layer_norm(size_t rows, size_t cols, const float* x, const float* weight, const float* bias, double eps, float* y);

// Eval BatchNorm as a per-channel affine map in float64: scale = weight / sqrt(var + eps),
// shift = bias − mean · scale (y = x · scale + shift; batch_norm and the fused conv epilogue use it).
void batch_norm_affine(size_t c, const float* mean, const float* var, const float* weight, const float* bias,
                       double eps, double* scale, double* shift);

// y[n,c,i] = (x[n,c,i] − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c]
void batch_norm(size_t n, size_t c, size_t inner, const float* x, const float* mean, const float* var,
                const float* weight, const float* bias, double eps, float* y);

// y[r, :] = x[r, :] / ‖x[r, :]‖₂ (Σx² in float64; a zero row gives NaN)
void l2_normalize(size_t rows, size_t cols, const float* x, float* y);

}  // namespace ctl
