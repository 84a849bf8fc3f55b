// Merge kernels on raw checkpoint bytes: F32 / F16 / BF16 inputs decoded and the output encoded
// inside the kernel (src/merge/native.ts; the math of src/merge/methods/linear.ts and gta.ts).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctl {

enum MergeDType : int { kMergeF32 = 0, kMergeF16 = 1, kMergeBF16 = 2 };

struct MergeInput {
  const void* data;
  int dtype;
};

// Counter-based draw (src/merge/methods/rng.ts draw32): mix32(mix32(i ^ k0) + k1), lowbias32 mix.
uint32_t merge_draw32(uint32_t k0, uint32_t k1, uint32_t i);

// out = Σ_j c_j x_j, accumulated in float64, rounded to float32, then to out_dtype.
void merge_linear(size_t n, const std::vector<MergeInput>& xs, const double* c, void* out, int out_dtype);

struct GtaSpec {
  int sparsify = 0;   // 0 none, 1 magnitude (top-k of |δ|, ties by index), 2 bernoulli (keep draw < p·2^32)
  int consensus = 0;  // 0 none, 1 signs of w·δ' (mergekit), 2 signs of δ' (TIES paper)
  bool normalize = false;
  bool rescale = false;  // keep Σ|δ| (L1) after sparsifying
  double lambda = 1;
  std::vector<double> weight, density;
  std::vector<uint32_t> k0, k1;  // stream keys per model
};

// θ = θ_b + λ·Σ_j w_j δ'_j m_j / D with δ_j = f32(x_j) − f32(b) (src/merge/methods/gta.ts gtaMerge).
// Deterministic for any thread count: sums run over fixed blocks, reduced in block order.
void merge_gta(size_t n, MergeInput base, const std::vector<MergeInput>& xs, const GtaSpec& spec, void* out, int out_dtype);

}  // namespace ctl
