// Winograd F(4×4, 3×3) convolution: 3×3 kernels, stride 1, dilation 1, one group.
#pragma once
#include "ops/conv2d.h"

namespace ctl {

// Whether conv2d may take the Winograd path for these arguments (and it is enabled).
bool winograd_applies(const Conv2dArgs& a);

// y = conv(x, w) + b by tiles: Y = Aᵀ[ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ]A per 4×4 output tile, the Σ_c as 36
// GEMMs. Returns false when an output is NaN/±Inf (non-finite input, or overflow in the transforms):
// the caller then recomputes y directly, so non-finite values propagate exactly as in a direct conv.
bool conv2d_winograd(const Conv2dArgs& a);

// Turns the Winograd path off (tests and benchmarks compare it with the implicit GEMM) or back on.
void set_winograd_enabled(bool enabled);

}  // namespace ctl
