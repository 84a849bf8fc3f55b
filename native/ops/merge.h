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

// Per segment s (consecutive runs of `seg` elements; seg divides n) the Gram matrix of
// δ_j = f64(x_j) − f64(base) (base.data null: δ_j = f64(x_j)): sums[s·P + p(a, b)] = Σ_i δ_a δ_b for
// a ≤ b, p in row order (0,0) (0,1) … (0,M−1) (1,1) …, P = M(M+1)/2 (karcher: src/merge/karcher_gram.ts).
// Deterministic for any thread count: fixed blocks within each segment, reduced in block order.
void merge_gram(size_t n, size_t seg, MergeInput base, const std::vector<MergeInput>& xs, double* sums);

// model_stock per segment (src/merge/methods/model_stock.ts): cos = mean over pairs a < b of
// clamp(δ_a·δ_b / max(|δ_a||δ_b|, 1e-6), ±1), t = N·cos / (1 + (N − 1)·cos), then
// θ = (t·Σ_a x_a) / N + (1 − t)·θ_0 in float64, rounded to float32, then to out_dtype.
void merge_model_stock(size_t n, size_t seg, MergeInput base, const std::vector<MergeInput>& xs, void* out, int out_dtype);

}  // namespace ctl
