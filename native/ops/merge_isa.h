// What merge.cpp (portable kernels, dispatch, selection) and merge_avx512.cpp (the AVX-512 block
// kernels) share: scalar dtype conversions (internal linkage: each file keeps its own copy, so no
// code compiled with AVX-512 flags is shared) and the per-block context of a merge_gta pass. Every
// ISA path runs the same float operations in the same order, so all of them give the same bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ops/merge.h"

namespace ctl {
namespace merge_detail {

constexpr size_t kBlock = 1 << 14;  // sums and histograms run over these fixed blocks
constexpr size_t kBins = 1 << 15;   // level-1 histogram: |δ| bits >> 16

#define CTL_MERGE_INLINE static inline __attribute__((always_inline))

CTL_MERGE_INLINE float bits_f32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
CTL_MERGE_INLINE uint32_t f32_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// F16 bits → float32 (exact: normals, subnormals, inf, NaN).
CTL_MERGE_INLINE float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0x1f) return bits_f32(sign | 0x7f800000 | (mant << 13));
  if (exp == 0) return (sign ? -1.0f : 1.0f) * float(mant) * 5.9604644775390625e-8f;  // mant · 2^-24
  return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

// float32 → nearest F16 bits, ties to even (src/io/half.ts numberToF16Bits).
CTL_MERGE_INLINE uint16_t f32_to_f16(float x) {
  uint32_t b = f32_bits(x), sign = (b >> 16) & 0x8000, exp = (b >> 23) & 0xff, mant = b & 0x7fffff;
  if (exp == 0xff) return uint16_t(mant ? (sign | 0x7e00 | (mant >> 13)) : (sign | 0x7c00));
  int e = int(exp) - 127 + 15;
  if (e >= 0x1f) return uint16_t(sign | 0x7c00);
  uint32_t full = e > 0 ? mant : (mant | 0x800000);
  int shift = e > 0 ? 13 : 14 - e;
  if (shift > 24) return uint16_t(sign);
  uint32_t kept = full >> shift, rest = full & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rest > half || (rest == half && (kept & 1))) kept++;
  return uint16_t(sign | ((e > 0 ? uint32_t(e) << 10 : 0) + kept));
}

// float32 → nearest BF16 bits, ties to even; NaN stays quiet NaN (src/io/half.ts numberToBf16Bits).
CTL_MERGE_INLINE uint16_t f32_to_bf16(float x) {
  uint32_t b = f32_bits(x);
  if ((b & 0x7f800000) == 0x7f800000 && (b & 0x7fffff)) return uint16_t((b >> 16) | 0x40);
  return uint16_t((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

CTL_MERGE_INLINE uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

CTL_MERGE_INLINE uint32_t draw32(uint32_t k0, uint32_t k1, uint32_t i) { return mix32(mix32(i ^ k0) + k1); }

// What the block kernels of one merge_gta call read (plain pointers: one entry per model).
struct GtaCtx {
  size_t M;
  MergeInput base;
  const MergeInput* xs;
  int sparsify, consensus;
  bool normalize;
  double lambda, div_all;
  const double* weight;   // w_j
  const double* scale;    // rescale factor per model (1 when none)
  const uint8_t* active;  // sparsified (density < 1)
  const uint8_t* select;  // active with k > 0 (magnitude): takes part in the top-k
  const uint32_t* thr;    // magnitude: the |δ| bits of the k-th largest
  const uint32_t* bin;    // magnitude: thr >> 16 once level 1 is done
  const uint32_t* k0;     // bernoulli stream keys
  const uint32_t* k1;
  const uint64_t* pkeep;  // bernoulli: keep when draw < pkeep (≤ 2^32)
  void* out;
  int out_dtype;
};

// Per block and model, which elements at |δ| = thr the final pass keeps (magnitude).
enum TieMode : uint8_t { kTiesNone = 0, kTiesAll = 1, kTiesSome = 2 };

#if defined(__x86_64__) || defined(__i386__)
// AVX-512 versions of the passes of merge.cpp on one block [b0, e0) (b0 a multiple of kBlock);
// each gives exactly what the portable pass gives.
// hist[j·kBins + (|δ_j| >> 16)]++ and before[j] = Σ|δ_j| for the selecting models
void gta_hist1_avx512(const GtaCtx& g, size_t b0, size_t e0, uint32_t* hist, double* before);
// the low 16 bits of |δ_j| whose top bits are bin[j], appended at cand[j] (advanced); count[j] = how many
void gta_cands_avx512(const GtaCtx& g, size_t b0, size_t e0, uint16_t** cand, uint64_t* count);
// ties[j] = #(|δ_j| = thr), after[j] = Σ_{|δ_j| > thr} |δ_j|
void gta_ties_avx512(const GtaCtx& g, size_t b0, size_t e0, uint64_t* ties, double* after);
// before / after Σ|δ_j| around the bernoulli drop; keep bits (bit i of word i/16) into bits[j]
void gta_drawsums_avx512(const GtaCtx& g, size_t b0, size_t e0, double* before, double* after, uint16_t* const* bits);
// The final pass (tie mode per model: kTiesNone / kTiesAll; kTiesSome blocks go the portable
// way); bits: the keep bits of gta_drawsums or null (draws recomputed). false: a result is not
// finite (the portable pass then reports it).
bool gta_final_avx512(const GtaCtx& g, size_t b0, size_t e0, const uint8_t* ties, const uint16_t* const* bits);
// out = Σ_j c_j x_j over [b, e) (float64, j in order); false: a result is not finite.
bool linear_avx512(size_t b, size_t e, const MergeInput* xs, size_t M, const double* c, void* out, int out_dtype);
// sums[p(a, b)] = Σ δ_a δ_b over [b, e) for a ≤ b (merge_gram; base.data null: δ = x); false
// when M is over kGramWide (the portable way then).
constexpr size_t kGramWide = 8;
bool gram_avx512(size_t b, size_t e, MergeInput base, const MergeInput* xs, size_t M, double* sums);
// out = (t·Σ_a x_a) / N + (1 − t)·base over [b, e) (model_stock); false: a result is not finite.
bool stock_write_avx512(size_t b, size_t e, MergeInput base, const MergeInput* xs, size_t N, double t, void* out, int out_dtype);
#endif

}  // namespace merge_detail
}  // namespace ctl
