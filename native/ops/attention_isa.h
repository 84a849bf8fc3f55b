// The attention row softmax of the wider ISAs (attention_avx512.cpp, compiled with the AVX-512 flags).
#pragma once
#include <cstddef>

namespace ctl {

// s_j ← exp(c·s_j − m) / Σ_i exp(c·s_i − m), m = max_i c·s_i, over j < len; 0 for len ≤ j < row_len.
// Returns false, with s_j already scaled to c·s_j, when the row holds a NaN or its maximum is
// infinite: the caller's scalar softmax gives torch's NaN / one-hot results then.
bool softmax_row_avx512(float* s, size_t len, size_t row_len, float c);

}  // namespace ctl
