// Per-sample similarity sums between features F and a combination G of basis features.
#pragma once
#include <cstddef>

namespace ctl {

// With g = Σ_j c_j · basis_j[n, :] formed on the fly (float64, never stored), per sample n:
// dot[n] = ⟨F_n, g⟩, ff[n] = ‖F_n‖², gg[n] = ‖g‖², all in float64.
void feature_stats(size_t n, size_t per_sample, const float* f, size_t m, const float* const* basis, const double* c,
                   double* dot, double* ff, double* gg);

}  // namespace ctl
