// Weight combination over a basis of tensors.
#pragma once
#include <cstddef>

namespace ctl {

// out_k[i] = float32(Σ_j C[k,j] · basis_j[i]), the sum in float64 in order j = 0..m−1; one pass over the basis.
void combine(size_t len, size_t m, const float* const* basis, size_t k, const double* coeffs, float* const* outs);

}  // namespace ctl
