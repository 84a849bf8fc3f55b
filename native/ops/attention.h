// Fused multi-head scaled-dot-product attention on packed qkv.
#pragma once
#include <cstddef>

namespace ctl {

// qkv[n, t, 3d] = [q | k | v]; per head h (dh = d / heads): y_h = softmax(q_h k_hᵀ / √dh  (j > i masked when causal)) v_h;
// y[n, t, d] with heads concatenated.
void attention(size_t n, size_t t, size_t d, size_t heads, bool causal, const float* qkv, float* y);

}  // namespace ctl
