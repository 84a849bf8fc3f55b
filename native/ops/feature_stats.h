// Per-sample similarity sums between features F and a combination G of basis features.
#pragma once
#include <cstddef>

namespace ctl {

// With g = Σ_j c_j · basis_j[n, :] formed on the fly (float64, never stored), per sample n:
// dot[n] = ⟨F_n, g⟩, ff[n] = ‖F_n‖², gg[n] = ‖g‖², all in float64.
void feature_stats(size_t n, size_t per_sample, const float* f, size_t m, const float* const* basis, const double* c,
                   double* dot, double* ff, double* gg);

// For each of nf feature tensors fs[i], per sample n, in float64: dots[i][n·m + j] = ⟨F_n, basis_j[n, :]⟩
// and ff[i][n] = ‖F_n‖², in one pass over the basis (each chunk of it is read once for all fs). With a
// per-sample Gram matrix of the basis, these give ⟨F, G⟩ and ‖G‖² for any G = Σ_j c_j basis_j.
void feature_products(size_t n, size_t per_sample, size_t nf, const float* const* fs, size_t m,
                      const float* const* basis, double* const* dots, double* const* ff);

}  // namespace ctl
