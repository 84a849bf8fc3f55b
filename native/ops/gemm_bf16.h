// The process-wide compute mode of gemm() and its BF16 path (AVX512-BF16).
#pragma once
#include "ops/gemm.h"

namespace ctl {

enum class Compute { f32, bf16 };

// Sets the mode gemm() runs in; throws std::runtime_error for bf16 when the CPU lacks AVX512-BF16 or
// the kernels' level (CTLKIT_ISA, setIsa) is below avx512.
void set_compute(Compute mode);

// Whether gemm() takes the BF16 path for g: the mode is bf16, the level is still avx512, and g reads a
// stored B into plain C (no b_source, no c_group: convolutions stay float32).
bool use_bf16_gemm(const GemmArgs& g);

// C (+)= bias + A·B with A and B rounded to BF16 (nearest even) as they are packed and the products
// summed in float32 (vdpbf16ps, k in pairs): cache-blocked as gemm() is, over the thread pool.
void gemm_bf16(const GemmArgs& g);

}  // namespace ctl
